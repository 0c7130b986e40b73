/* The texts the form renderer reads, in the interface language (it follows a change of language). */
import {fill, fmt, number, t, when} from "./text.js";
import {store} from "./store.js";

export const words = Object.freeze({t, fmt, fill, number, when, get rules() { return store.rules; }});
