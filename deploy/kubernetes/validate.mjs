// Validates the manifests in this folder against the Kubernetes OpenAPI schemas of the npm package kubernetes-models
// (no cluster needed). Usage, from an empty folder:
//   npm install kubernetes-models@5.1.0 yaml@2 && node <repo>/deploy/kubernetes/validate.mjs <repo>/deploy/kubernetes
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

// The packages are installed in the current folder, not beside this script: imported by path.
const installed = (path) => import(pathToFileURL(join(process.cwd(), "node_modules", path)).href);
const { parseAllDocuments } = await installed("yaml/dist/index.js");
const kinds = {
  "apps/v1/Deployment": async () => (await installed("kubernetes-models/apps/v1/Deployment.js")).Deployment,
  "policy/v1/PodDisruptionBudget": async () => (await installed("kubernetes-models/policy/v1/PodDisruptionBudget.js")).PodDisruptionBudget,
  "v1/Service": async () => (await installed("kubernetes-models/v1/Service.js")).Service,
  "v1/Secret": async () => (await installed("kubernetes-models/v1/Secret.js")).Secret,
};

const folder = process.argv[2] ?? ".";
let failures = 0, checked = 0;
for (const file of readdirSync(folder).filter(f => f.endsWith(".yaml")).sort()) {
  for (const document of parseAllDocuments(readFileSync(join(folder, file), "utf8"))) {
    const object = document.toJS();
    const key = `${object.apiVersion}/${object.kind}`;
    const model = kinds[key];
    try {
      if (!model) throw new Error(`no schema for ${key}`);
      const Model = await model();
      new Model(object).validate();
      checked++;
      console.log(`ok   ${file}: ${key} ${object.metadata?.name}`);
    } catch (error) {
      failures++;
      console.log(`FAIL ${file}: ${key} ${object.metadata?.name}: ${error.message}`);
    }
  }
}
console.log(`${checked} passed, ${failures} failed`);
process.exit(failures === 0 && checked > 0 ? 0 : 1);
