/** Manifests given as YAML text (kubectl apply -f): several documents, or a v1 List of items. */
import { parseAllDocuments } from "yaml";
import { type ApplyOptions, applyManifest } from "./apply.js";
import { invalid } from "./errors.js";
import type { ClusterState } from "./model.js";
import { isPlainObject } from "./patch.js";

function parseManifests(text: string): unknown[] {
  const manifests: unknown[] = [];
  for (const document of parseAllDocuments(text)) {
    const problem = document.errors[0];
    if (problem) throw invalid(`error parsing YAML: ${problem.message}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    if (isPlainObject(value) && value.kind === "List" && Array.isArray(value.items))
      manifests.push(...value.items);
    else manifests.push(value);
  }
  if (manifests.length === 0) throw invalid("no objects passed to apply");
  return manifests;
}

/** Applies every manifest in order and reports each as kubectl does ("deployment.apps/web created"). */
export function applyYaml(state: ClusterState, text: string, options: ApplyOptions): string[] {
  return parseManifests(text).map((manifest) => {
    const { ref, outcome } = applyManifest(state, manifest, options);
    return `${ref} ${outcome}`;
  });
}
