// Draw every chart on the page with vega-embed, under the strict Content-Security-Policy:
// Vega's expressions run in vega-interpreter (no eval), and vega-embed injects no <style>.
// Each chart's text alternative is already in the page; the drawing is for sighted users.
const marker = document.querySelector("[data-vega-interpreter]");
if (marker && window.vegaEmbed) {
  const { expressionInterpreter } = await import(marker.dataset.vegaInterpreter);
  for (const element of document.querySelectorAll("[data-vega-spec]")) {
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
}
