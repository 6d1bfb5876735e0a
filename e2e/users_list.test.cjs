// The users list: three-click sort, filters, paging, scope and escaping.
"use strict";
const { test, before, after } = require("node:test");
const { launch, newPage, shot, signIn, api, unique, somePlacement, columnTexts, assert, BASE } = require("./lib.cjs");

let browser;
let admin;
before(async () => {
  browser = await launch();
  admin = await newPage(browser);
  await signIn(admin, "admin");
});
after(async () => { await browser.close(); });

const byText = (a, b) => a.localeCompare(b, "en", { sensitivity: "base" });

test("a column sorts ascending, then descending, then back to the default on three clicks", async () => {
  await admin.goto(`${BASE}/console/users?size=25`);
  const initial = await columnTexts(admin, 2);
  const header = () => admin.locator("th", { hasText: "Login" });
  await header().getByRole("link").click();
  assert.equal(await header().getAttribute("aria-sort"), "ascending");
  const asc = await columnTexts(admin, 2);
  assert.deepEqual(asc, [...asc].sort(byText));
  await shot(admin, "sort-login-ascending");
  await header().getByRole("link").click();
  assert.equal(await header().getAttribute("aria-sort"), "descending");
  const desc = await columnTexts(admin, 2);
  assert.deepEqual(desc, [...desc].sort(byText).reverse());
  assert.notDeepEqual(desc, asc);
  await shot(admin, "sort-login-descending");
  await header().getByRole("link").click();
  assert.equal(await header().getAttribute("aria-sort"), "none");
  assert.deepEqual(await columnTexts(admin, 2), initial);
  assert.doesNotMatch(admin.url(), /sort=/);
});

test("paging shows the range and total, and the page size can be picked", async () => {
  await admin.goto(`${BASE}/console/users`);
  const total = (await api("GET", "/users?limit=1")).json.total;
  assert.equal(await admin.locator("#users-range").innerText(), `1\u201310 of ${total}`);
  assert.equal((await columnTexts(admin, 1)).length, 10);
  await admin.getByRole("link", { name: /Next/ }).click();
  assert.equal(await admin.locator("#users-range").innerText(), `11\u201320 of ${total}`);
  await admin.getByLabel("Rows per page").selectOption("25");
  await admin.waitForURL(/size=25/);
  assert.equal(await admin.locator("#users-range").innerText(), `1\u201325 of ${total}`);
  assert.equal((await columnTexts(admin, 1)).length, 25);
  await shot(admin, "paging-25");
});

test("filters: PIN-only users, inactive users struck through, banned and retired on request", async () => {
  const { node, role } = await somePlacement();
  const last = unique("Zedinactive");
  const created = await api("POST", "/users", {
    login: unique("inact"), first_name: "Ina", last_name: last, password: "Inactive-Person-5521",
    placements: [{ node_id: node.id, role_id: role.id }],
  });
  assert.equal(created.status, 201);
  assert.equal((await api("POST", `/users/${created.json.id}/deactivate`, {})).status, 200);

  await admin.goto(`${BASE}/console/users?q=${last}`);
  assert.equal((await columnTexts(admin, 1)).length, 0, "inactive users are hidden by default");
  await admin.getByLabel("Show inactive").check();
  await admin.waitForURL(/inactive=1/);
  const row = admin.locator("tbody tr", { hasText: last });
  await row.waitFor();
  assert.match(await row.getAttribute("class"), /row-inactive/);
  assert.equal(await row.locator("td").first().evaluate((td) => getComputedStyle(td).textDecorationLine), "line-through");
  await shot(admin, "filter-inactive");

  await admin.goto(`${BASE}/console/users`);
  await admin.getByLabel("Sign-in").selectOption("pin");
  await admin.waitForURL(/kind=pin/);
  const pins = (await api("GET", "/users?login_kind=pin&limit=1")).json.total;
  assert.match(await admin.locator("#users-range").innerText(), new RegExp(`of ${pins}$`));
  await shot(admin, "filter-pin-only");

  const banned = await api("POST", "/users", {
    login: unique("bannd"), first_name: "Bea", last_name: unique("Zedbanned"), password: "Banned-Person-5521",
    placements: [{ node_id: node.id, role_id: role.id }],
  });
  assert.equal((await api("POST", `/users/${banned.json.id}/ban`, {})).status, 200);
  await admin.goto(`${BASE}/console/users?q=${banned.json.last_name}`);
  assert.equal((await columnTexts(admin, 1)).length, 0);
  await admin.getByLabel("Show banned / retired").check();
  await admin.waitForURL(/others=1/);
  await admin.locator("tbody tr", { hasText: banned.json.last_name }).locator(".badge", { hasText: "Banned" }).waitFor();
  await shot(admin, "filter-banned");
});

test("a name containing <script> renders as text", async () => {
  const { node, role } = await somePlacement();
  const last = `<script>window.__pwned=1</script>${unique("X")}`;
  const created = await api("POST", "/users", {
    login: unique("xss"), first_name: "<img src=x onerror=window.__pwned=2>", last_name: last,
    password: "Escaping-Person-5521", placements: [{ node_id: node.id, role_id: role.id }],
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  await admin.goto(`${BASE}/console/users?q=${encodeURIComponent("<script>")}`);
  const name = admin.locator("tbody tr td:first-child a").first();
  assert.match(await name.innerText(), /<script>window\.__pwned=1<\/script>/);
  assert.equal(await admin.evaluate(() => window.__pwned), undefined);
  assert.equal(await admin.locator("tbody script, tbody img").count(), 0);
  await shot(admin, "escaped-script-name");
});

test("a Division administrator does not see users outside their division", async () => {
  const page = await newPage(browser);
  await signIn(page, "division.admin");
  await page.goto(`${BASE}/console/users?size=100`);
  const total = (await api("GET", "/users?limit=1")).json.total;
  const range = await page.locator("#users-range").innerText();
  const seen = Number(range.split(" of ")[1]);
  assert.ok(seen > 0 && seen < total, `division admin sees ${seen} of ${total}`);
  // Someone placed only outside the North Patrol division is neither listed nor found.
  const nodes = (await api("GET", "/nodes?limit=500")).json.items;
  const division = nodes.find((n) => n.name.includes("North Patrol"));
  assert.ok(division, "the demo has a North Patrol division");
  const inside = new Set([division.id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const n of nodes) if (n.parent_id && inside.has(n.parent_id) && !inside.has(n.id)) { inside.add(n.id); grew = true; }
  }
  const everyone = (await api("GET", "/users?limit=500")).json.items;
  const outsider = everyone.find((u) => u.default_node_id && !inside.has(u.default_node_id) && u.login !== "admin");
  const full = (await api("GET", `/users/${outsider.id}`)).json;
  assert.ok(full.placements.every((p) => !inside.has(p.node_id)));
  await page.goto(`${BASE}/console/users?q=${encodeURIComponent(outsider.login)}`);
  assert.equal((await columnTexts(page, 2)).includes(outsider.login), false);
  assert.equal(await page.locator("#users-range").innerText(), "0 of 0");
  await page.goto(`${BASE}/console/users?size=100`);
  await shot(page, "division-admin-users");
});

test("select all on this page ticks every row, and a bulk action is previewed before anything changes", async () => {
  await admin.goto(`${BASE}/console/users?size=10`);
  const boxes = admin.locator("input.row-select");
  assert.equal(await boxes.count(), 10);
  await admin.getByLabel("Select all on this page").check();
  for (const checked of await boxes.evaluateAll((all) => all.map((b) => b.checked))) assert.equal(checked, true);
  await admin.locator("#bulk-action").selectOption("reactivate");
  await admin.getByRole("button", { name: "Preview" }).click();
  await admin.waitForURL(`${BASE}/console/users/bulk`);
  assert.match(await admin.locator("#bulk-unchanged").innerText(), /^10 already are/, "active users stay as they are");
  await shot(admin, "bulk-preview");
  await admin.getByRole("link", { name: "Back to the list" }).click();
  await admin.waitForURL(/\/console\/users$/);
});
