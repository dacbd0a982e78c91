-- PostGIS end to end, after ogr2ogr loaded the raw layers (counties_raw with
-- about 2,000 invalid polygons, grid_raw): repair with ST_MakeValid (GEOS
-- MakeValid, linework method, as plankit and ogr2ogr -makevalid), keep the
-- polygonal part, index with GiST and analyze, so pg_overlay.sql can run next.
CREATE TABLE counties AS
  SELECT fid, name, city_key, ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3)) AS geom
  FROM counties_raw;
CREATE TABLE grid AS
  SELECT cell_id, ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3)) AS geom
  FROM grid_raw;
CREATE INDEX counties_geom_idx ON counties USING gist (geom);
CREATE INDEX grid_geom_idx ON grid USING gist (geom);
ANALYZE counties;
ANALYZE grid;
