-- The resource types a collection covered (Inventory.resource_types), so a
-- stored inventory says exactly what it speaks for. '[]' means: every type
-- of the services in scope, as before.
ALTER TABLE scan_inventories ADD COLUMN resource_types TEXT NOT NULL DEFAULT '[]';
