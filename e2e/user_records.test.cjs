// The user page's personnel-file tabs: Assignments & promotions and Records (one page per
// section, errors next to the fields, read-only where the command hierarchy only lets one
// view), Files (upload within the organization's limit, download, remove), the photo on
// Details and in the header, and the person's Audit tab with field-level diffs.
"use strict";
const { test, before, after } = require("node:test");
const { launch, newPage, shot, signIn, api, unique, assert, BASE } = require("./lib.cjs");

let browser;
let admin;
let person;
before(async () => {
  browser = await launch();
  admin = await newPage(browser);
  await signIn(admin, "admin");
  const nodes = (await api("GET", "/nodes?limit=500")).json.items;
  const roles = (await api("GET", "/roles?limit=500")).json.items;
  const created = await api("POST", "/users", {
    login: unique("records"), first_name: "Morgan", last_name: unique("Records"), login_kind: "none",
    placements: [{
      node_id: nodes.find((n) => n.name === "Bayview Station").id,
      role_id: roles.find((r) => r.name === "Officer").id,
      default: true,
    }],
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  person = created.json;
});
after(async () => { await browser.close(); });

const tab = (page, name) => page.locator("nav.tabs").getByRole("link", { name, exact: true });

test("an administrator records a promotion and a commendation, told what is wrong next to the field", async () => {
  await admin.goto(`${BASE}/console/users/${person.id}`);
  await tab(admin, "Assignments & promotions").click();
  await admin.waitForURL(/\/records\/promotions$/);
  assert.equal(await admin.locator("nav.subtabs [aria-current=page]").innerText(), "Promotions & assignments");
  await admin.getByLabel("Effective date").fill("2025-04-01");
  const rank = admin.locator("#f-rank_id");
  const choice = await rank.locator("option").nth(1);
  const rankName = (await choice.innerText()).trim();
  await rank.selectOption({ index: 1 });
  await admin.getByLabel("Make this their current rank and unit").check();
  await admin.getByRole("button", { name: "Add promotion or assignment" }).click();
  assert.match(await admin.locator(".toast").innerText(), /now their current rank and unit/);
  const row = admin.locator("table.record-table tbody tr").first();
  assert.match(await row.innerText(), new RegExp(`Rank: ${rankName}`));
  assert.match(await row.innerText(), /Applied/);
  assert.notEqual((await api("GET", `/users/${person.id}`)).json.rank_id, null);
  await shot(admin, "records-promotions");
  await admin.locator("nav.subtabs").getByRole("link", { name: "Service history" }).click();
  await admin.waitForURL(/\/records\/service_history$/);
  await shot(admin, "records-service-history");

  await tab(admin, "Records").click();
  await admin.waitForURL(/\/records\/commendations$/);
  const future = new Date(Date.now() + 5 * 86400e3).toISOString().slice(0, 10);
  const title = "<script>alert('medal')</script> Medal of Valor";
  await admin.getByLabel("Date").fill(future);
  await admin.getByLabel("Award").fill(title);
  await admin.getByLabel("Category").fill("Medal");
  await admin.getByLabel("Notes").fill("Pulled two people from a burning car.\nOn Route 9.");
  await admin.getByRole("button", { name: "Add commendation or award" }).click();
  assert.match(await admin.getByRole("alert").innerText(), /need your attention/);
  assert.match(await admin.locator("#e-date").innerText(), /not be in the future/);
  assert.equal(await admin.getByLabel("Award").inputValue(), title, "what was typed stays");
  const listed = (await api("GET", `/users/${person.id}/records/commendations`)).json;
  assert.equal(listed.total, 0, "nothing was written");
  await shot(admin, "records-commendation-error");

  await admin.getByLabel("Date").fill("2025-11-02");
  await admin.getByRole("button", { name: "Add commendation or award" }).click();
  assert.match(await admin.locator(".toast").innerText(), /was added/);
  const added = admin.locator("table.record-table tbody tr").first();
  assert.match(await added.innerText(), /<script>alert\('medal'\)<\/script> Medal of Valor/, "shown as text");
  await shot(admin, "records-commendations");

  await added.getByRole("link", { name: "Edit" }).click();
  await admin.getByLabel("Award").fill("Medal of Valor");
  await admin.getByRole("button", { name: "Save commendation or award" }).click();
  assert.match(await admin.locator(".toast").innerText(), /was saved/);
  assert.match(await admin.locator("table.record-table tbody tr").first().innerText(), /^2025-11-02\s+Medal of Valor/);
  assert.deepEqual(admin.consoleErrors, []);
});

test("files are uploaded within the organization's limit, downloaded and removed", async () => {
  const pdf = Buffer.from("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
  await admin.goto(`${BASE}/console/users/${person.id}`);
  await tab(admin, "Files").click();
  await admin.waitForURL(/\/files$/);
  await admin.getByLabel("Title").fill("Firearms qualification");
  await admin.getByLabel("Category").fill("Certificates");
  await admin.locator("#f-file").setInputFiles({ name: "qualification.pdf", mimeType: "application/pdf", buffer: pdf });
  await admin.getByRole("button", { name: "Upload", exact: true }).click();
  assert.match(await admin.locator(".toast").innerText(), /Firearms qualification was uploaded/);
  const row = admin.locator("table.file-table tbody tr", { hasText: "Firearms qualification" });
  await row.waitFor();
  const [download] = await Promise.all([admin.waitForEvent("download"), row.getByRole("link", { name: "Download" }).click()]);
  assert.equal(download.suggestedFilename(), "qualification.pdf");
  await shot(admin, "files-list");

  const settings = (await api("GET", "/settings")).json;
  const limit = settings.files_module.max_file_bytes;
  await api("PATCH", "/settings", { files_module: { max_file_bytes: 4096 } });
  try {
    await admin.reload();
    assert.match(await admin.locator("#h-file").innerText(), /Up to 4 KB per file/);
    const big = Buffer.concat([pdf, Buffer.alloc(6000, 0x78)]);
    await admin.getByLabel("Title").fill("Too big");
    await admin.locator("#f-file").setInputFiles({ name: "big.pdf", mimeType: "application/pdf", buffer: big });
    await admin.getByRole("button", { name: "Upload", exact: true }).click();
    assert.match(await admin.getByRole("alert").innerText(), /larger than the 4 KB your organization allows per file; nothing was stored/);
    assert.equal(await admin.getByLabel("Title").inputValue(), "Too big", "what was typed stays");
    assert.equal((await api("GET", `/users/${person.id}/files`)).json.total, 1);
    await shot(admin, "files-too-large");
  } finally {
    await api("PATCH", "/settings", { files_module: { max_file_bytes: limit } });
  }
  await admin.goto(`${BASE}/console/users/${person.id}/files`);
  await admin.locator("table.file-table tbody tr", { hasText: "Firearms qualification" }).getByRole("button", { name: "Delete" }).click();
  assert.match(await admin.locator(".toast").innerText(), /was removed/);
  assert.equal((await api("GET", `/users/${person.id}/files`)).json.total, 0);
  assert.deepEqual(admin.consoleErrors, []);
});

test("a photo is added on Details and shown in the header, and the audit tab shows the changes", async () => {
  await admin.goto(`${BASE}/console/users/${person.id}`);
  assert.equal(await admin.locator(".profile-head img.avatar").count(), 0);
  // A real picture: a screenshot of part of the page.
  const picture = await admin.screenshot({ clip: { x: 0, y: 0, width: 320, height: 320 } });
  await admin.locator("#f-photo").setInputFiles({ name: "portrait.png", mimeType: "image/png", buffer: picture });
  await admin.getByRole("button", { name: "Upload photo" }).click();
  assert.match(await admin.locator(".toast").innerText(), /photo was saved/);
  const avatar = admin.locator(".profile-head img.avatar");
  await avatar.waitFor();
  assert.ok(await avatar.evaluate((img) => img.complete && img.naturalWidth > 0), "the thumbnail loads");
  assert.ok(await admin.locator(".photo-card img").evaluate((img) => img.complete && img.naturalWidth > 0));
  await shot(admin, "details-photo");

  await tab(admin, "Audit").click();
  await admin.waitForURL(/\/audit$/);
  const events = admin.locator("ol.events > li");
  assert.ok(await events.count() >= 4);
  const edit = admin.locator("ol.events > li", { hasText: "commendations.update" });
  assert.match(await edit.locator("table.diff-table").innerText(), /Medal of Valor/);
  assert.equal(await edit.locator("del").first().innerText(), "<script>alert('medal')</script> Medal of Valor");
  assert.ok(await admin.locator("ol.events > li", { hasText: "photo.upload" }).count() >= 1);
  await shot(admin, "audit-tab");
  assert.deepEqual(admin.consoleErrors, []);
});

test("an officer reads their own file without forms, and cannot open someone else's", async () => {
  const officer = await newPage(browser);
  await signIn(officer, "officer");
  await officer.goto(`${BASE}/console/me`);
  await tab(officer, "Records").click();
  await officer.waitForURL(/\/records\/commendations$/);
  assert.equal(await officer.locator("#record-form").count(), 0, "no form: view only");
  assert.ok(await officer.locator(".badge", { hasText: "Read only" }).isVisible());
  assert.equal(await tab(officer, "Audit").count(), 0, "no audit_log privilege");
  await shot(officer, "records-own-read-only");
  const refused = await officer.goto(`${BASE}/console/users/${person.id}/records/commendations`);
  assert.ok([403, 404].includes(refused.status()), `status ${refused.status()}`);
  assert.deepEqual(officer.consoleErrors, []);
});
