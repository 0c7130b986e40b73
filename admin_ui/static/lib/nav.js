/* What the logged-in user's role opens: the links of the navigation (each names the permissions that open its page,
 * any one of them, as resource:action), the page itself, and the calm message shown on a page the role does not open. */

/** Tell whether `permissions` ({resource: [actions]}, as /api/v1/users/current answers) grant one of `needs`. */
export function opens(needs, permissions) {
  const wanted = (needs || "").split(/\s+/).filter(Boolean);
  if (!wanted.length) return true;  // a page that needs nothing (none in the navigation today)
  return wanted.some((pair) => {
    const [resource, action] = pair.split(":");
    return ((permissions || {})[resource] || []).includes(action);
  });
}

/** Show the links of the navigation the role opens (the others stay hidden); return them, in order. */
export function showNavigation(permissions) {
  const links = [...document.querySelectorAll("#main-nav a[data-needs]")];
  const open = links.filter((link) => opens(link.dataset.needs, permissions));
  open.forEach((link) => { link.hidden = false; });
  return open;
}

/** Replace the screen by the message "this page is not part of your role", with links to the pages one may use. */
export function showNotAllowed(links) {
  document.getElementById("screen").hidden = true;
  const section = document.getElementById("not-allowed");
  const list = document.getElementById("allowed-pages");
  list.replaceChildren(...links.map((link) => {
    const item = document.createElement("li");
    const copy = document.createElement("a");
    copy.href = link.href;
    copy.textContent = link.textContent.trim();
    item.append(copy);
    return item;
  }));
  list.hidden = !links.length;
  document.getElementById("no-pages").hidden = links.length > 0;
  section.hidden = false;
  document.getElementById("not-allowed-title").focus();
}

/** Run the screen's module(s), which the page holds in a template until the role is known to open it. */
export async function loadScreen() {
  const holder = document.getElementById("screen-scripts");
  if (!holder) return;
  for (const script of holder.content.querySelectorAll("script[src]")) await import(script.src);
}
