// Run first in <body>: lets nhsuk-frontend style components that need JavaScript.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " nhsuk-frontend-supported" : "");
