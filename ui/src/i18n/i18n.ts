// Translations: English is the source; Bokmål and Swedish must have every key (checked by tsc).
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { BackendError, Language } from "../backend/types";
import { en, type Key } from "./en";
import { nb } from "./nb";
import { sv } from "./sv";

export type { Key };
export const LANGUAGES: Language[] = ["en", "nb", "sv"];
const tables: Record<Language, Record<Key, string>> = { en, nb, sv };

export type Translate = (key: Key, vars?: Record<string, string | number>) => string;

export function translator(lang: Language): Translate {
  const table = tables[lang] ?? en;
  return (key, vars) => {
    const text = table[key] ?? en[key];
    return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : text;
  };
}

/** The sentence for an error: its code's own, else its family's (`media.*`), else a general one. */
export function errorKey(e: BackendError): Key {
  const exact = `error.${e.code}`;
  if (exact in en) return exact as Key;
  const family = `error.${e.code.split(".")[0]}`;
  return family in en ? (family as Key) : "error.unknown";
}

export interface I18n {
  lang: Language;
  t: Translate;
}

export const I18nContext = createContext<I18n>({ lang: "en", t: translator("en") });
export const useI18n = () => useContext(I18nContext);
