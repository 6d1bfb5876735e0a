// Shared helpers of the console's browser tests: the browser (Debian's chromium driven
// by playwright-core), sign-in, screenshots and the JSON API for arranging data.
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const assert = require("node:assert/strict");

const modules = process.env.E2E_NODE_MODULES;
if (!modules) throw new Error("E2E_NODE_MODULES is not set; run the suite through .ci/e2e.sh");
const { chromium } = require(path.join(modules, "playwright-core"));

const BASE = process.env.MUSTER_URL;
const SHOTS = process.env.E2E_SCREENSHOTS;
const ORG = "harbor-county-police";
const TOKEN = "mst_demo_harbor_county_police_2026";
const ACCOUNTS = {
  admin: "harbor-admin-2026",
  "north.admin": "harbor-north-2026",
  "division.admin": "harbor-division-2026",
  officer: "harbor-officer-2026",
};

const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

async function launch() {
  return chromium.launch({
    executablePath: process.env.E2E_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
  });
}

/** A fresh browser context (its own cookies) and page, 1280×800 unless told. */
async function newPage(browser, viewport) {
  const context = await browser.newContext({ viewport: viewport || { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  // Pages answering a refused form with a 4xx status log "Failed to load resource"; that is
  // the status, not a script error.
  page.on("console", (m) => { if (m.type() === "error" && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.consoleErrors = errors;
  return page;
}

let counter = 0;
/** Saves a full-page screenshot under the artifact directory. */
async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  counter += 1;
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

async function signIn(page, login, password) {
  await page.goto(`${BASE}/console/sign-in`);
  await page.getByLabel("Organization").fill(ORG);
  await page.getByLabel("Login").fill(login);
  await page.getByLabel("Password or PIN").fill(password || ACCOUNTS[login]);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForLoadState("load");
}

/** Calls the JSON API as the demo organization's administrator token. */
async function api(method, p, body) {
  const response = await fetch(`${BASE}/api/v1${p}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  return { status: response.status, json };
}

/** A string unique to this run, for names and logins. */
function unique(prefix) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/** The default placement of a new user: the first Patrol location with an employee role. */
async function somePlacement() {
  const nodes = (await api("GET", "/nodes?limit=500")).json.items;
  const roles = (await api("GET", "/roles?limit=500")).json.items;
  const kindOf = new Map(nodes.map((n) => [n.id, n.kind]));
  for (const node of nodes) {
    const role = roles.find((r) => r.assignable_at.includes(kindOf.get(node.id)) && r.capabilities.length === 0);
    if (role && node.parent_id) return { node, role, nodes, roles };
  }
  throw new Error("no node with an employee role");
}

/** The visible text of the first cell column per body row. */
async function columnTexts(page, column) {
  return page.$$eval(`table.table tbody tr:not(.empty-row) td:nth-child(${column})`, (cells) => cells.map((c) => c.textContent.trim()));
}

module.exports = { launch, newPage, shot, signIn, api, unique, somePlacement, columnTexts, assert, BASE, ORG, ACCOUNTS };
