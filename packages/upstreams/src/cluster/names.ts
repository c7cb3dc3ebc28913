/**
 * Deterministic stand-ins for the random parts of Kubernetes names (uids, pod suffixes, template
 * hashes, IPs): derived from a serial number or content, so every run produces the same names.
 */
import type { ClusterState } from "./model.js";

// kube's own alphabet for generated suffixes: no vowels (no accidental words), no look-alike digits.
const SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export function shortHash(text: string, length: number): string {
  let out = "";
  let round = 0;
  while (out.length < length) {
    let value = fnv1a(`${round}:${text}`);
    for (let digit = 0; digit < 6 && out.length < length; digit++) {
      out += SUFFIX_ALPHABET[value % SUFFIX_ALPHABET.length];
      value = Math.floor(value / SUFFIX_ALPHABET.length);
    }
    round++;
  }
  return out;
}

function hex(text: string, length: number): string {
  let out = "";
  for (let round = 0; out.length < length; round++) {
    out += fnv1a(`${round}/${text}`).toString(16).padStart(8, "0");
  }
  return out.slice(0, length);
}

function nextSerial(state: ClusterState): number {
  state.serial += 1;
  return state.serial;
}

export function newUid(state: ClusterState): string {
  const raw = hex(`${state.context}#${nextSerial(state)}`, 32);
  return [raw.slice(0, 8), raw.slice(8, 12), `4${raw.slice(13, 16)}`, raw.slice(16, 20), raw.slice(20)].join(
    "-",
  );
}

export function newSuffix(state: ClusterState): string {
  return shortHash(`${state.context}~${nextSerial(state)}`, 5);
}

/** Each cluster gets its own second octet, as separate pod CIDRs would give. */
export function newPodIp(state: ClusterState): string {
  const serial = nextSerial(state);
  const clusterOctet = 20 + (fnv1a(state.context) % 200);
  return `10.${clusterOctet}.${Math.floor(serial / 250) % 250}.${(serial % 250) + 2}`;
}
