-- v0.17 tags: is_application marks a tag that names an application (the topology's Applications view groups by it).
ALTER TABLE tags ADD COLUMN is_application boolean NOT NULL DEFAULT false;
