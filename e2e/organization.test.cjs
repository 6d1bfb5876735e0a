// The organization and records screens: roles (preset, module grid, item requirement,
// "Enable all"), the locations tree, the command hierarchy chart, reference lists,
// settings, the audit log with its diffs and chain check, the mailbox and the directory.
"use strict";
const path = require("node:path");
const { test, before, after } = require("node:test");
const { launch, newPage, shot, signIn, api, unique, assert, BASE } = require("./lib.cjs");

let browser;
let admin;
let settingsBefore;
before(async () => {
  browser = await launch();
  admin = await newPage(browser);
  await signIn(admin, "admin");
  // The applications' modules a role grid offers: scheduling needs a calendar, the map
  // only has View. (201, or 409 when an earlier run on this database made them.)
  for (const module of [
    { key: "scheduling", name: "Scheduling", requires_items: true,
      items: [{ key: "day_shift", name: "Day shift" }, { key: "night_shift", name: "Night shift" }, { key: "court", name: "Court dates" }] },
    { key: "map", name: "Map", levels: ["none", "view"], items: [{ key: "unit_12", name: "Unit 12" }, { key: "unit_31", name: "Unit 31" }] },
    { key: "records", name: "Records management" },
    { key: "settings", name: "Settings", levels: ["none", "view", "edit", "super_admin"] },
  ]) {
    const created = await api("POST", "/modules", module);
    assert.ok([201, 409].includes(created.status), JSON.stringify(created.json));
  }
  settingsBefore = (await api("GET", "/settings")).json;
});
after(async () => {
  // Leave the organization's sign-in rules as the other tests expect them.
  await api("PATCH", "/settings", { lockout_threshold: settingsBefore.lockout_threshold });
  assert.deepEqual(admin.consoleErrors, []);
  await browser.close();
});

test("a role is edited with a preset and the module grid, and the item requirement is shown inline", async () => {
  await admin.goto(`${BASE}/console/roles`);
  await shot(admin, "org-roles-list");
  await admin.getByRole("link", { name: "New role" }).click();
  const name = unique("Dispatcher ");
  await admin.getByLabel("Name", { exact: true }).fill(name);
  await admin.getByLabel("Location", { exact: true }).check();
  // A preset fills the grid with each module's own levels.
  await admin.locator(".preset-option", { hasText: "Admin" }).click();
  assert.equal(await admin.locator("#module-settings").inputValue(), "super_admin");
  assert.equal(await admin.locator("#module-map").inputValue(), "view");
  assert.deepEqual(await admin.locator("#module-map option").allTextContents(), ["No access", "View"]);
  await shot(admin, "org-role-preset-admin");
  // Changing the grid makes the role Custom; scheduling covers one calendar only.
  await admin.locator("#module-scheduling").selectOption("view");
  assert.equal(await admin.locator("input[name=preset][value=custom]").isChecked(), true);
  const row = admin.locator("tr", { has: admin.locator("#module-scheduling") });
  await row.getByLabel("All").uncheck();
  await row.getByLabel("Night shift").check();
  await admin.getByLabel("See people's profiles").check();
  await admin.getByRole("button", { name: "Create role" }).click();
  await admin.waitForURL(/\/console\/roles\/[0-9a-f-]{36}$/);
  assert.match(await admin.locator(".toast").innerText(), /created/);
  const id = admin.url().split("/").pop();
  const role = (await api("GET", `/roles/${id}`)).json;
  assert.equal(role.preset, "custom");
  assert.deepEqual(role.modules.scheduling, { level: "view", items: ["night_shift"] });
  assert.deepEqual(role.capabilities, ["users.view"]);
  await shot(admin, "org-role-saved");

  // Scheduling without any calendar: the service refuses, the row says why, nothing changes.
  await admin.locator("#module-scheduling").selectOption("edit");
  await row.getByLabel("Night shift").uncheck();
  await admin.getByRole("button", { name: "Save role" }).click();
  await admin.locator("#items-scheduling-error").waitFor();
  assert.match(await admin.locator("#items-scheduling-error").innerText(), /Select at least one item of "Scheduling"/);
  assert.deepEqual((await api("GET", `/roles/${id}`)).json.modules.scheduling, { level: "view", items: ["night_shift"] });
  await shot(admin, "org-role-requirement-error");

  // "Enable all": the map at View, settings at its top, the rest at Edit.
  await admin.getByRole("button", { name: "Enable all" }).click();
  assert.equal(await admin.locator("#module-map").inputValue(), "view");
  assert.equal(await admin.locator("#module-settings").inputValue(), "super_admin");
  assert.equal(await admin.locator("#module-records").inputValue(), "edit");
  assert.equal(await admin.locator("#module-scheduling").inputValue(), "edit");
  await admin.getByRole("button", { name: "Save role" }).click();
  await admin.waitForURL(new RegExp(`/console/roles/${id}$`));
  const enabled = (await api("GET", `/roles/${id}`)).json;
  assert.deepEqual(enabled.modules.scheduling, { level: "edit", items: "all" });
  assert.equal(enabled.modules.settings, "super_admin");
  await shot(admin, "org-role-enabled-all");

  // Deleting asks first.
  await admin.getByRole("button", { name: "Delete role" }).click();
  const dialog = admin.getByRole("dialog");
  await dialog.waitFor();
  // The viewport only: a full-page capture would stretch the page past the modal's backdrop.
  await admin.screenshot({ path: path.join(process.env.E2E_SCREENSHOTS, "org-role-delete-dialog.png") });
  await dialog.getByRole("button", { name: "Delete role" }).click();
  await admin.waitForURL(/\/console\/roles$/);
  assert.equal((await api("GET", `/roles/${id}`)).status, 404);
});

test("a node is added to the tree under the chosen node", async () => {
  await admin.goto(`${BASE}/console/org/tree`);
  await admin.locator(".org-tree").getByRole("link", { name: /^North Region/ }).click();
  await admin.getByRole("heading", { name: "Add a node under North Region" }).waitFor();
  await shot(admin, "org-tree-north-region");
  const name = unique("North Harbor Division ");
  const add = admin.locator("form", { has: admin.getByRole("button", { name: "Add node" }) });
  await add.getByLabel("Name").fill(name);
  await add.getByLabel("Kind").selectOption("Division");
  await add.getByRole("button", { name: "Add node" }).click();
  await admin.waitForURL(/\/console\/org\/tree\?node=/);
  assert.match(await admin.locator(".toast").innerText(), /Added Division/);
  const selected = admin.locator(".org-tree [aria-current=true]");
  assert.match(await selected.innerText(), new RegExp(name));
  const node = (await api("GET", "/nodes?limit=500")).json.items.find((n) => n.name === name);
  assert.ok(node, "the node exists");
  const parent = (await api("GET", `/nodes/${node.parent_id}`)).json;
  assert.equal(parent.name, "North Region");
  await shot(admin, "org-tree-added");
  // A name taken under the same parent is refused beside the field.
  await admin.locator(".org-tree").getByRole("link", { name: /^North Region/ }).click();
  await add.getByLabel("Name").fill(name);
  await add.getByRole("button", { name: "Add node" }).click();
  await admin.locator("#new-name-error").waitFor();
  assert.match(await admin.locator("#new-name-error").innerText(), /already has this name/);
});

test("the command hierarchy is drawn as a chart and a group's privileges are edited", async () => {
  await admin.goto(`${BASE}/console/org/hierarchy`);
  const chart = admin.locator("svg.org-chart");
  await chart.waitFor();
  for (const group of ["Chief", "Captains", "Lieutenants", "Sergeants", "Officers", "Clerks"]) {
    assert.equal(await chart.locator("text.chart-name", { hasText: group }).count(), 1, group);
  }
  assert.ok((await chart.locator("path.chart-link").count()) >= 5);
  await shot(admin, "org-hierarchy-chart");
  await chart.locator("a", { hasText: "Sergeants" }).click();
  await admin.getByRole("heading", { name: "Sergeants", level: 1 }).waitFor();
  // Peers' records can only be viewed: the matrix does not offer Edit there.
  assert.deepEqual(await admin.locator("select[name='priv.peers.discipline'] option").allTextContents(), ["—", "View"]);
  await admin.locator("select[name='priv.peers.service_history']").selectOption("view");
  await shot(admin, "org-hierarchy-group");
  await admin.getByRole("button", { name: "Save group" }).click();
  await admin.waitForURL(/\/console\/org\/hierarchy\/[0-9a-f-]{36}$/);
  assert.match(await admin.locator(".toast").innerText(), /saved/);
  const groups = (await api("GET", "/command-groups?limit=500")).json.items;
  const sergeants = groups.find((g) => g.name === "Sergeants");
  assert.ok(sergeants.privileges.some((p) => p.scope === "peers" && p.section === "service_history" && p.access === "view"));
});

test("a reference item is added and renamed", async () => {
  await admin.goto(`${BASE}/console/reference`);
  await shot(admin, "org-reference-lists");
  await admin.getByRole("link", { name: "Manage specialties" }).click();
  await admin.waitForURL(/\/console\/reference\/specialties$/);
  const name = unique("Drone Pilot ");
  await admin.getByLabel("Name", { exact: true }).fill(name);
  await admin.getByRole("button", { name: "Add", exact: true }).click();
  await admin.waitForURL(/\/console\/reference\/specialties$/);
  assert.match(await admin.locator(".toast").innerText(), /Added/);
  const input = admin.locator(`input[value="${name}"]`);
  await input.waitFor();
  await input.fill(`${name} (certified)`);
  await admin.locator("tr", { has: input }).getByRole("button", { name: /Rename/ }).click();
  await admin.waitForURL(/\/console\/reference\/specialties$/);
  const items = (await api("GET", "/reference/specialties?limit=500")).json.items;
  assert.ok(items.some((i) => i.name === `${name} (certified)`));
  await shot(admin, "org-reference-specialties");
});

test("a setting is changed, and the audit log shows the change with its diff", async () => {
  await admin.goto(`${BASE}/console/settings`);
  await shot(admin, "org-settings");
  const threshold = admin.getByLabel("Lock out after failed sign-ins");
  const before = await threshold.inputValue();
  const next = before === "7" ? "8" : "7";
  await threshold.fill(next);
  await admin.getByRole("button", { name: "Save settings" }).click();
  await admin.waitForURL(/\/console\/settings$/);
  assert.match(await admin.locator(".toast").innerText(), /Settings saved/);
  assert.equal((await api("GET", "/settings")).json.lockout_threshold, Number(next));
  // An out-of-range value is refused beside the field and keeps what was typed.
  await admin.getByLabel("Shortest password").fill("4");
  await admin.getByRole("button", { name: "Save settings" }).click();
  await admin.locator("#password_min_length-error").waitFor();
  assert.equal(await admin.getByLabel("Shortest password").inputValue(), "4");
  await shot(admin, "org-settings-error");

  await admin.goto(`${BASE}/console/audit`);
  await admin.getByLabel("Action").fill("settings.update");
  await admin.getByRole("button", { name: "Filter" }).click();
  await admin.waitForURL(/action=settings.update/);
  const event = admin.locator("li.event").first();
  assert.match(await event.locator(".event-action").innerText(), /settings\.update/);
  const changed = event.locator("tr", { hasText: "Lockout threshold" });
  assert.equal(await changed.locator("del").innerText(), before);
  assert.equal(await changed.locator("ins").innerText(), next);
  await shot(admin, "org-audit-settings-diff");
  await admin.getByRole("button", { name: "Verify chain" }).click();
  await admin.locator(".verify-result").waitFor();
  assert.match(await admin.locator(".verify-result").innerText(), /The chain is intact/);
  await shot(admin, "org-audit-verified");
});

test("the mailbox shows a queued message with its body, and the directory finds people", async () => {
  const nodes = (await api("GET", "/nodes?limit=500")).json.items;
  const roles = (await api("GET", "/roles?limit=500")).json.items;
  const node = nodes.find((n) => n.kind === "Location");
  const role = roles.find((r) => r.assignable_at.includes("Location") && r.capabilities.length === 0);
  const last = unique("Mailman");
  const created = await api("POST", "/users", {
    login: unique("mail"), first_name: "Morgan", last_name: last, email: `${last.toLowerCase()}@example.com`,
    generate_password: true, send_notification: true, placements: [{ node_id: node.id, role_id: role.id }],
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  await admin.goto(`${BASE}/console/mailbox`);
  const row = admin.locator("li.message-item", { hasText: `${last.toLowerCase()}@example.com` }).first();
  await row.waitFor();
  await row.getByText("Show the message").click();
  assert.ok((await row.locator("pre.message").innerText()).length > 20);
  await shot(admin, "org-mailbox");

  await admin.goto(`${BASE}/console/directory`);
  await admin.getByLabel("Search the directory").fill(last);
  await admin.getByRole("button", { name: "Search" }).click();
  await admin.waitForURL(/q=/);
  assert.equal(await admin.locator("tbody tr", { hasText: last }).count(), 1);
  await shot(admin, "org-directory-search");
});

test("the organization screens fit a tablet", async () => {
  for (const width of [1024, 768]) {
    const page = await newPage(browser, { width, height: 1000 });
    await signIn(page, "admin");
    for (const [path, name] of [["/console/org/tree", "tree"], ["/console/roles/new", "role"], ["/console/org/hierarchy", "hierarchy"], ["/console/audit", "audit"]]) {
      await page.goto(`${BASE}${path}`);
      // Nothing but the chart and wide tables scrolls sideways.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${path} at ${width}px overflows by ${overflow}px`);
      await shot(page, `org-${name}-${width}`);
    }
    assert.deepEqual(page.consoleErrors, []);
    await page.context().close();
  }
});
