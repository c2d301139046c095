import type { Storage, StorageOp } from "../../storage/storage.js";

const PAGE_SIZE = 500;

/**
 * Every leaf key under `prefix` (which ends in "/" or is ""), depth first, fetched a page
 * at a time so a large tree is never held in memory at once. `skip` prunes folders.
 */
export async function* walkKeys(
  storage: Storage,
  prefix: string,
  skip: (folder: string) => boolean = () => false,
): AsyncGenerator<string> {
  let after = "";
  for (;;) {
    const page = await storage.listPage(prefix, after, PAGE_SIZE);
    for (const child of page) {
      const full = prefix + child;
      if (child.endsWith("/")) {
        if (!skip(full)) yield* walkKeys(storage, full, skip);
      } else {
        yield full;
      }
    }
    const last = page[page.length - 1];
    if (page.length < PAGE_SIZE || last === undefined) return;
    after = last;
  }
}

/** Deletes every key under `prefix`, in batches, each batch atomic. */
export async function deleteTree(storage: Storage, prefix: string): Promise<number> {
  // Deleting behind the walk's page cursor is safe: the cursor only moves forward.
  let batch: StorageOp[] = [];
  let deleted = 0;
  for await (const key of walkKeys(storage, prefix)) {
    batch.push({ op: "delete", key });
    if (batch.length >= PAGE_SIZE) {
      await storage.transaction(batch);
      deleted += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) {
    await storage.transaction(batch);
    deleted += batch.length;
  }
  return deleted;
}
