// A tiny client-side router: the server sends index.html for every route (--spa), and this
// script picks the view from location.pathname. The file name carries a content hash, so it
// can be cached for a year (--fingerprinted-cache-control).
const routes = [
  [/^\/$/, () => "<h1>Home</h1><p>This page is a single-page app served by <code>fileserver</code>.</p>"],
  [/^\/about$/, () => "<h1>About</h1><p>Client-side route <code>/about</code>, rendered in the browser.</p>"],
  [/^\/users\/(\d+)$/, (id) => `<h1>User ${id}</h1><p>A route with a parameter.</p>`],
];

function render() {
  const path = location.pathname;
  const view = document.getElementById("view");
  for (const [pattern, page] of routes) {
    const m = path.match(pattern);
    if (m) {
      view.innerHTML = page(...m.slice(1));
      mark(path);
      return;
    }
  }
  view.textContent = `No client-side route for ${path}`;
  mark(path);
}

function mark(path) {
  for (const a of document.querySelectorAll("a[data-link]")) {
    if (a.getAttribute("href") === path) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

document.addEventListener("click", (e) => {
  const a = e.target.closest("a[data-link]");
  if (!a) return;
  e.preventDefault();
  history.pushState(null, "", a.getAttribute("href"));
  render();
});
window.addEventListener("popstate", render);
render();
