// Signing in, the forced password change and signing out.
"use strict";
const { test, before, after } = require("node:test");
const { launch, newPage, shot, signIn, api, unique, somePlacement, assert, BASE, ORG } = require("./lib.cjs");

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

test("an administrator signs in, lands on the users list and signs out", async () => {
  const page = await newPage(browser);
  await page.goto(`${BASE}/console/users`);
  assert.match(page.url(), /\/console\/sign-in\?next=/);
  await shot(page, "sign-in");
  // A wrong password is refused with one message that does not say which part was wrong.
  await signIn(page, "admin", "not-the-password");
  await assert.doesNotReject(page.getByRole("alert").waitFor());
  assert.match(await page.getByRole("alert").innerText(), /organization, login or password is wrong/);
  await shot(page, "sign-in-refused");
  await signIn(page, "admin");
  assert.match(page.url(), /\/console\/users$/);
  assert.equal(await page.getByRole("heading", { level: 1 }).innerText(), "Users");
  assert.match(await page.locator(".user-name").innerText(), /Dana Whitfield/);
  await shot(page, "users-list");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/console\/sign-in/);
  assert.match(await page.locator(".toast").innerText(), /signed out/);
  await page.goto(`${BASE}/console/users`);
  assert.match(page.url(), /\/console\/sign-in/);
  assert.deepEqual(page.consoleErrors, []);
});

test("a user who must change the password is sent to the change page first", async () => {
  const { node, role } = await somePlacement();
  const login = unique("newhire");
  const created = await api("POST", "/users", {
    login, first_name: "Nova", last_name: "Hire", password: "Temporary-Pass-4411",
    must_change_password: true, placements: [{ node_id: node.id, role_id: role.id }],
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const page = await newPage(browser);
  await signIn(page, login, "Temporary-Pass-4411");
  assert.match(page.url(), /\/console\/password$/);
  // Other pages lead back here until the password is changed.
  await page.goto(`${BASE}/console/users`);
  assert.match(page.url(), /\/console\/password$/);
  await shot(page, "forced-password-change");
  // Mismatched repetition and a wrong current password are shown inline.
  await page.getByLabel("Current password").fill("Temporary-Pass-4411");
  await page.getByLabel("New password", { exact: true }).fill("Brand-New-Secret-7781");
  await page.getByLabel("Repeat the new password").fill("something else");
  await page.getByRole("button", { name: "Change password" }).click();
  assert.match(await page.locator("#confirm-error").innerText(), /differ/);
  await page.getByLabel("Current password").fill("wrong-wrong-wrong");
  await page.getByLabel("New password", { exact: true }).fill("Brand-New-Secret-7781");
  await page.getByLabel("Repeat the new password").fill("Brand-New-Secret-7781");
  await page.getByRole("button", { name: "Change password" }).click();
  assert.match(await page.locator("#current-error").innerText(), /wrong/);
  await shot(page, "forced-password-change-errors");
  await page.getByLabel("Current password").fill("Temporary-Pass-4411");
  await page.getByLabel("New password", { exact: true }).fill("Brand-New-Secret-7781");
  await page.getByLabel("Repeat the new password").fill("Brand-New-Secret-7781");
  await page.getByRole("button", { name: "Change password" }).click();
  await page.waitForLoadState("load");
  assert.doesNotMatch(page.url(), /\/console\/password$/);
  assert.match(await page.locator(".toast").innerText(), /password is changed/);
  await shot(page, "after-password-change");
  // The new password signs in; the old one no longer does.
  const again = await newPage(browser);
  await signIn(again, login, "Temporary-Pass-4411");
  assert.match(again.url(), /sign-in/);
  await signIn(again, login, "Brand-New-Secret-7781");
  assert.doesNotMatch(again.url(), /sign-in|password/);
  void ORG;
});
