// Rewrite the tools table in README.md from the MCP server definitions.
import { readFileSync, writeFileSync } from "node:fs";
import { withToolsTable } from "../mcp-servers/tools-table.js";

writeFileSync("README.md", withToolsTable(readFileSync("README.md", "utf8")));
console.log("README.md tools table updated");
