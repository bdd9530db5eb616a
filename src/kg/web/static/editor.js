/* The query editor of /query: the vendored YASGUI (static/vendor/yasgui) pointed at our /sparql.
 *
 * Everything it needs comes from the page (the JSON in #editor-config) and from this server: no
 * request leaves it. YASGUI's own reaches for other hosts are switched off here: the LOV class and
 * property completers (lov.linkeddata.es), the catalogue of public endpoints (DBpedia, Wikidata) and
 * the endpoint field. The page's Content-Security-Policy (console.py) would block them anyway.
 * Without JavaScript this file never runs and the page's <noscript> form does the same job.
 */
(function () {
  "use strict";

  const root = document.getElementById("editor");
  const mount = document.getElementById("yasgui");
  if (!root || !mount || typeof window.Yasgui !== "function") return; // the form in <noscript> stays

  const config = JSON.parse(document.getElementById("editor-config").textContent);
  const endpoint = new URL(config.endpoint, window.location.href).href;
  const infer = document.getElementById("infer");
  const Yasgui = window.Yasgui;
  const Yasqe = Yasgui.Yasqe;

  // Completion from this page only: variables, and PREFIX lines from our prefixes (typing `skos:`
  // undeclared adds its PREFIX line), instead of prefix.cc's list and LOV's web service.
  const prefixLines = Object.entries(config.prefixes).map(([p, ns]) => `${p}: <${ns}>`).sort();
  Yasqe.registerAutocompleter({ ...Yasqe.Autocompleters.prefixes, get: () => prefixLines, persistenceId: null });
  Yasqe.defaults.autocompleters = ["variables", "prefixes"];

  /** A tab's request arguments (those set in its settings stay) with `infer=false` when unchecked. */
  const withInfer = (args) => {
    const kept = (args || []).filter((arg) => arg.name !== "infer");
    return infer.checked ? kept : [...kept, { name: "infer", value: "false" }];
  };

  const yasgui = new Yasgui(mount, {
    persistenceId: null, // no localStorage: what the editor shows comes from this page
    tabName: "Query",
    yasqe: { value: config.query }, // no "Shorten" button: YASQE shows one only given createShortLink
    yasr: { prefixes: config.prefixes },
    requestConfig: { endpoint: endpoint, method: "POST" },
    endpointCatalogueOptions: { ...Yasgui.defaults.endpointCatalogueOptions, getData: () => [{ endpoint }] },
    copyEndpointOnNewTab: false,
    // /query?query=…&infer=false opens that query and runs it (the page checked the box to match);
    // our endpoint, whatever the link says
    populateFromUrl: (tab) => {
      tab.requestConfig.endpoint = endpoint;
      tab.requestConfig.args = withInfer(tab.requestConfig.args);
      return tab;
    },
  });
  root.hidden = false;

  // A malformed query: the server's message names the place ("malformed SPARQL at 3:14: …"); mark it
  // in the editor (the character and its line) until the next run.
  const marks = new WeakMap();
  const clearMarks = (yasqe) => {
    for (const clear of marks.get(yasqe) || []) clear();
    marks.set(yasqe, []);
  };
  const markError = (yasqe, message) => {
    const found = /at (\d+):(\d+)/.exec(String(message));
    if (!found) return;
    const line = Math.min(Number(found[1]) - 1, yasqe.lineCount() - 1);
    if (line < 0) return;
    const length = yasqe.getLine(line).length;
    // the column may point just past the line's end (a missing token): mark its last character then
    const ch = Math.max(0, Math.min(Number(found[2]) - 1, length - 1));
    yasqe.addLineClass(line, "background", "kg-error-line");
    marks.get(yasqe).push(() => yasqe.removeLineClass(line, "background", "kg-error-line"));
    if (length > 0) {
      const mark = yasqe.markText({ line, ch }, { line, ch: ch + 1 }, {
        className: "kg-error-mark",
        attributes: { title: String(message) },
      });
      marks.get(yasqe).push(() => mark.clear());
    }
  };
  const hooked = new WeakSet();

  // Our endpoint and the infer toggle, applied to whichever tab runs a query, just before it runs.
  yasgui.on("queryBefore", (_yasgui, tab) => {
    tab.setRequestConfig({ endpoint, args: withInfer(tab.getRequestConfig().args) });
    const yasqe = tab.getYasqe();
    clearMarks(yasqe);
    if (!hooked.has(yasqe)) {
      hooked.add(yasqe);
      yasqe.on("error", (...args) => {
        const error = args.find((arg) => arg instanceof Error) || args[args.length - 1];
        markError(yasqe, error && error.message ? error.message : error);
      });
    }
  });

  // The named queries: a click opens one in its own tab (the same tab if open already) and runs it.
  for (const link of document.querySelectorAll("#examples a[data-example]")) {
    link.addEventListener("click", (event) => {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return; // a new window
      event.preventDefault();
      const text = new URL(link.href).searchParams.get("query");
      const tab = { name: link.dataset.example, yasqe: { value: text }, requestConfig: { endpoint } };
      yasgui.addTab(true, tab, { avoidDuplicateTabs: true });
      yasgui.getTab().query().catch(() => {}); // the answer, or the error, shows in the results
      mount.scrollIntoView({ block: "start" });
    });
  }

  // YASR's filter redraws the page it is on, which is empty once fewer rows match: start at the first.
  mount.addEventListener("keyup", (event) => {
    if (!event.target.matches(".tableFilter")) return;
    const table = yasgui.getTab()?.getYasr()?.plugins?.table?.dataTable;
    if (table) table.page("first");
  }, true); // capture: before YASR's own handler

  // As YASGUI draws: the endpoint field shows our endpoint, read-only (no other is asked), and results
  // link our IRIs to their pages here (/id/…), not to w3id.org.
  const fit = (node) => {
    if (!node.querySelectorAll) return;
    for (const field of node.querySelectorAll(".controlbar input.autocomplete")) field.readOnly = true;
    for (const a of node.querySelectorAll("a.iri")) {
      if (a.href.startsWith(config.namespace)) a.href = config.resources + a.href.slice(config.namespace.length);
    }
  };
  fit(mount);
  new MutationObserver((changes) => {
    for (const change of changes) change.addedNodes.forEach(fit);
  }).observe(mount, { childList: true, subtree: true });
})();
