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
  // transition): the styles scripts set on the old elements (vega's drawings) would then be inline styles,
  // which the policy blocks. The old elements are about to go, so their styles can.
  document.addEventListener("htmx:before:swap", (event) => {
    const target = event.detail?.ctx?.target ?? document;
    for (const element of target.querySelectorAll("[id][style]")) {
      element.removeAttribute("style");
    }
  });
  document.addEventListener("htmx:after:settle", () => drawCharts(document));
}
