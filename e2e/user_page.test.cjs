// Creating a user, the user page's tabs, the multi-location confirmation, ban and un-ban,
// and an employee's own profile with the fields their organization keeps.
"use strict";
const { test, before, after } = require("node:test");
const { launch, newPage, shot, signIn, api, unique, assert, BASE } = require("./lib.cjs");

let browser;
let admin;
let nodes;
let roles;
before(async () => {
  browser = await launch();
  admin = await newPage(browser);
  await signIn(admin, "admin");
  nodes = (await api("GET", "/nodes?limit=500")).json.items;
  roles = (await api("GET", "/roles?limit=500")).json.items;
});
after(async () => { await browser.close(); });

const node = (name) => nodes.find((n) => n.name === name);
const role = (name) => roles.find((r) => r.name === name);
const userId = (url) => url.match(/\/console\/users\/([0-9a-f-]{36})/)[1];

test("an administrator creates a user, is told what is missing, and finds them by search", async () => {
  await admin.goto(`${BASE}/console/users/new`);
  await shot(admin, "create-user-form");
  // Nothing filled in: every required field says so, next to it, and nothing is created.
  const before = (await api("GET", "/users?limit=1")).json.total;
  await admin.getByRole("button", { name: "Save & stay" }).click();
  assert.match(await admin.getByRole("alert").innerText(), /need your attention/);
  assert.match(await admin.locator("#e-role_id").innerText(), /role/);
  assert.equal((await api("GET", "/users?limit=1")).json.total, before);
  await shot(admin, "create-user-errors");

  const last = unique("Quill");
  const login = unique("rquill");
  await admin.getByLabel(/First name/).fill("Robin");
  await admin.getByLabel(/Last name/).fill(last);
  await admin.locator("#f-login").fill(login);
  await admin.getByLabel("Email", { exact: true }).fill(`${login}@example.gov`);
  await admin.locator("#f-node_id").selectOption(node("Bayview Station").id);
  await admin.locator("#f-role_id").selectOption({ label: "Officer" });
  await admin.getByLabel("Phone 1 number").fill("555-0142");
  await admin.getByRole("button", { name: "Save & stay" }).click();
  await admin.waitForURL(/\/console\/users\/[0-9a-f-]{36}$/);
  assert.match(await admin.locator(".toast").innerText(), /was created; their sign-in details are on the way/);
  assert.equal(await admin.getByRole("heading", { level: 1 }).innerText(), `Robin ${last}`);
  const id = userId(admin.url());
  await shot(admin, "created-user-details");

  const created = (await api("GET", `/users/${id}`)).json;
  assert.equal(created.must_change_password, true, "a generated password must be changed");
  assert.equal(created.placements[0].node_id, node("Bayview Station").id);
  const mail = (await api("GET", `/outbox?limit=500`)).json.items.filter((m) => m.recipient === `${login}@example.gov`);
  assert.equal(mail.length, 1, "the welcome email is in the outbox");

  await admin.goto(`${BASE}/console/users`);
  await admin.getByLabel("Search users").fill(last);
  await admin.getByRole("button", { name: "Search" }).click();
  const row = admin.locator("tbody tr", { hasText: last });
  await row.waitFor();
  assert.match(await row.innerText(), /Bayview Station/);
  await shot(admin, "created-user-found");
  assert.deepEqual(admin.consoleErrors, []);
});

test("changing a role of someone who also works elsewhere asks for confirmation first", async () => {
  const login = unique("twoplace");
  const created = await api("POST", "/users", {
    login, first_name: "Tomas", last_name: unique("Twoplace"), login_kind: "none",
    placements: [
      { node_id: node("Bayview Station").id, role_id: role("Officer").id, default: true },
      { node_id: node("Southport Precinct Office").id, role_id: role("Officer").id },
    ],
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json.id;
  const regional = await newPage(browser);
  await signIn(regional, "north.admin");
  await regional.goto(`${BASE}/console/users/${id}/placements`);
  // The placement in the South Region is outside the North Region: read-only.
  const south = regional.locator("tbody tr", { hasText: "Southport Precinct Office" });
  assert.match(await south.innerText(), /Read-only/);
  assert.equal(await south.locator("select").count(), 0);
  const north = regional.locator("tbody tr", { hasText: "Bayview Station" });
  await north.getByLabel("Role at Bayview Station").selectOption({ label: "Employee" });
  await north.getByRole("button", { name: "Save" }).click();
  const dialog = regional.getByRole("dialog");
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /also works elsewhere/);
  assert.match(await dialog.innerText(), /outside North Region/);
  await shot(regional, "multi-location-dialog");
  // Nothing changed yet.
  let placements = (await api("GET", `/users/${id}/placements`)).json.items;
  assert.equal(placements.find((p) => p.node_id === node("Bayview Station").id).role_id, role("Officer").id);
  await dialog.getByRole("button", { name: "Change anyway" }).click();
  await regional.waitForURL(/\/placements$/);
  assert.match(await regional.locator(".toast").innerText(), /Employee at Bayview Station was saved/);
  placements = (await api("GET", `/users/${id}/placements`)).json.items;
  assert.equal(placements.find((p) => p.node_id === node("Bayview Station").id).role_id, role("Employee").id);
  assert.equal(placements.find((p) => p.node_id === node("Southport Precinct Office").id).role_id, role("Officer").id);
  await shot(regional, "multi-location-saved");
  assert.deepEqual(regional.consoleErrors, []);
});

test("an administrator bans a user and un-bans them from the details tab", async () => {
  const created = await api("POST", "/users", {
    login: unique("banme"), first_name: "Bailey", last_name: unique("Banned"), password: "Ban-And-Unban-Person-77",
    placements: [{ node_id: node("Bayview Station").id, role_id: role("Officer").id, default: true }],
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json.id;
  await admin.goto(`${BASE}/console/users/${id}/admin`);
  await shot(admin, "admin-features");
  await admin.getByLabel("Ban reason").fill("Lost badge, pending review");
  await admin.getByRole("button", { name: "Ban", exact: true }).click();
  await admin.waitForURL(/\/admin$/);
  assert.match(await admin.locator(".toast").innerText(), /is banned/);
  assert.equal((await api("GET", `/users/${id}`)).json.status, "banned");
  await admin.goto(`${BASE}/console/users/${id}`);
  assert.equal(await admin.locator("h1 .badge", { hasText: "Banned" }).count(), 1);
  await shot(admin, "banned-user-details");
  await admin.getByRole("button", { name: "Un-ban" }).click();
  await admin.waitForURL(new RegExp(`/console/users/${id}$`));
  assert.match(await admin.locator(".toast").innerText(), /un-banned/);
  assert.equal((await api("GET", `/users/${id}`)).json.status, "active");
  assert.equal(await admin.locator("h1 .badge", { hasText: "Banned" }).count(), 0);
  const audit = (await api("GET", `/users/${id}/audit?limit=50`)).json.items.map((e) => e.action);
  assert.ok(audit.includes("user.ban") && audit.includes("user.unban"), audit.join(", "));
});

test("delete asks first, says it is permanent and offers to deactivate instead", async () => {
  const created = await api("POST", "/users", {
    login: unique("delme"), first_name: "Dale", last_name: unique("Deleted"), login_kind: "none",
    placements: [{ node_id: node("Bayview Station").id, role_id: role("Officer").id, default: true }],
  });
  const id = created.json.id;
  await admin.goto(`${BASE}/console/users/${id}/admin`);
  await admin.getByRole("link", { name: "Delete user…" }).click();
  const dialog = admin.getByRole("dialog");
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /This is permanent/);
  assert.match(await dialog.innerText(), /deactivate them instead/);
  await shot(admin, "delete-dialog");
  await dialog.getByRole("button", { name: "Deactivate instead" }).click();
  await admin.waitForURL(/\/admin$/);
  assert.equal((await api("GET", `/users/${id}`)).json.status, "inactive");
});

test("the permissions and access tabs explain what a person may do and who reaches them", async () => {
  const officer = (await api("GET", "/users?q=officer%40harborcountypd.gov&limit=5")).json.items.find((u) => u.login === "officer");
  await admin.goto(`${BASE}/console/users/${officer.id}/permissions`);
  const denied = admin.locator("td.denied").first();
  assert.ok((await denied.getAttribute("title")).length > 0, "a denied cell names what is missing");
  assert.ok(await admin.locator("td.allowed").count() > 0, "some sections are visible to the officer");
  await shot(admin, "permissions-matrix");
  await admin.goto(`${BASE}/console/users/${officer.id}/access`);
  const admins = admin.locator("section", { hasText: "Who administers" });
  assert.match(await admins.innerText(), /Dana Whitfield/);
  assert.match(await admins.innerText(), /organization administrator/);
  await shot(admin, "reverse-access");
});

test("an employee's profile greys out what the organization keeps and saves what it allows", async () => {
  const page = await newPage(browser);
  await signIn(page, "officer");
  assert.match(page.url(), /\/console\/me$/, "employees land on their own profile");
  assert.equal(await page.locator("#f-first_name").isDisabled(), true);
  assert.equal(await page.locator("#f-email").isDisabled(), true);
  assert.equal(await page.locator("#f-command_group_id").isDisabled(), true);
  assert.match(await page.locator(".field.is-locked").first().innerText(), /set by your organization/);
  const phone = page.getByLabel("Phone 1 number");
  assert.equal(await phone.isDisabled(), false, "phones are a self-service field");
  await shot(page, "my-profile-locked-fields");
  const number = `555-${String(Date.now()).slice(-4)}`;
  await phone.fill(number);
  await page.getByRole("button", { name: "Save my profile" }).click();
  await page.waitForURL(/\/console\/me$/);
  assert.match(await page.locator(".toast").innerText(), /saved/);
  const me = (await api("GET", "/users?q=officer%40harborcountypd.gov&limit=5")).json.items.find((u) => u.login === "officer");
  const full = (await api("GET", `/users/${me.id}`)).json;
  assert.equal(full.phones[0].number, number);
  assert.equal(full.first_name, "Casey", "locked fields are untouched");
  assert.deepEqual(page.consoleErrors, []);
});
