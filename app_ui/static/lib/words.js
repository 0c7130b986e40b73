/* The texts the form renderer reads, in the interface language: the catalog's, and the rules' messages. */
import {store} from "./store.js";
import {fill, fmt, number, t, when} from "./text.js";

export const words = Object.freeze({t, fmt, fill, number, when, get rules() { return store.rules; }});
