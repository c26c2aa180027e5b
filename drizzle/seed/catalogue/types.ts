import type { NewVendor, NewVenue } from "../../schema/index.js";

/** A catalogue entry as written in the seed files: the table's insert type minus what the database fills. */
export type CatalogueVenue = Omit<NewVenue, "id" | "workspaceId" | "createdAt">;
export type CatalogueVendor = Omit<NewVendor, "id" | "workspaceId" | "createdAt">;
