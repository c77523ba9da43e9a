-- What a published snapshot says about itself (read back by pipeline.snapshot.snapshot_info).
CREATE TABLE suar_snapshot.main.snapshot_info AS
SELECT now() AS published_at, ? AS source_path, ? AS schema_version, ? AS includes_html
