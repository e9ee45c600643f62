// Draw every chart on the page with vega-embed, under the strict Content-Security-Policy:
// Vega's expressions run in vega-interpreter (no eval), and vega-embed injects no <style>.
// Each chart's text alternative is already in the page; the drawing is for sighted users.
// Charts that htmx swaps into the page later (the dashboard's filters) are drawn when they arrive.
const marker = document.querySelector("[data-vega-interpreter]");
if (marker && window.vegaEmbed) {
  const { expressionInterpreter } = await import(marker.dataset.vegaInterpreter);
  const drawCharts = (root) => {
    for (const element of root.querySelectorAll("[data-vega-spec]:not([data-vega-drawn])")) {
      element.dataset.vegaDrawn = "";
      const spec = JSON.parse(document.getElementById(element.dataset.vegaSpec).textContent);
      window
        .vegaEmbed(element, spec, {
          ast: true,
          expr: expressionInterpreter,
          defaultStyle: false,
          actions: false,
          tooltip: false,
          renderer: "svg",
        })
        .catch((error) => {
          element.textContent = "The chart could not be drawn; its description is below.";
          console.error(error);
        });
    }
  };
  drawCharts(document);
  // htmx copies the style attribute of an old element onto the new one with the same id (for its settle
  // transition); the styles vega set on the old drawings would be an inline style the policy blocks.
  document.addEventListener("htmx:before:swap", () => {
    for (const element of document.querySelectorAll("[data-vega-drawn][style], [data-vega-drawn] [id][style]")) {
      element.removeAttribute("style");
    }
  });
  document.addEventListener("htmx:after:settle", () => drawCharts(document));
}
