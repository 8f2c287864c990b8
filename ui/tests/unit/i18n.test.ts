/// <reference types="node" />
import assert from "node:assert/strict";
import { test } from "node:test";
import { en, type Key } from "../../src/i18n/en";
import { errorKey, translator } from "../../src/i18n/i18n";
import { nb } from "../../src/i18n/nb";
import { sv } from "../../src/i18n/sv";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test("every translation is non-empty and keeps the English placeholders", () => {
  for (const [lang, table] of Object.entries({ nb, sv })) {
    for (const key of Object.keys(en) as Key[]) {
      assert.ok(table[key]?.trim(), `${lang} ${key} is empty`);
      assert.deepEqual(placeholders(table[key]), placeholders(en[key]), `${lang} ${key}`);
    }
  }
});

test("translations differ from English where words are not names", () => {
  const same = (Object.keys(en) as Key[]).filter((k) => !k.startsWith("lang.") && nb[k] === en[k]);
  assert.ok(same.length < 5, `untranslated in nb: ${same.join(", ")}`);
});

test("placeholders are filled and unknown ones are left visible", () => {
  const t = translator("nb");
  assert.equal(t("people.admit_named", { name: "Kari" }), "Slipp inn Kari");
  assert.equal(translator("en")("people.heading"), "Participants ({n})");
});

test("an error's sentence comes from its code, else its family, else a general one", () => {
  assert.equal(errorKey({ code: "media.device_busy", message: "" }), "error.media.device_busy");
  assert.equal(errorKey({ code: "media.codec", message: "" }), "error.media");
  assert.equal(errorKey({ code: "weird.thing", message: "" }), "error.unknown");
  assert.equal(errorKey({ code: "", message: "" }), "error.unknown");
});
