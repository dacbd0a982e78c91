-- SpatiaLite overlay: every county × grid cell pair whose intersection has
-- polygonal area, through the R*Tree index of grid (candidates by bounding
-- box, then ST_Intersects, which SpatiaLite evaluates with a cached prepared
-- county geometry since the join runs county by county). MATERIALIZED keeps
-- SQLite from inlining the CTE, which would compute each intersection twice.
SELECT load_extension('mod_spatialite');
CREATE TABLE pieces AS
WITH x AS MATERIALIZED (
  SELECT c.fid AS county_fid, c.name AS name, c.city_key AS city_key, g.cell_id AS cell_id,
         CollectionExtract(ST_Intersection(c.geom, g.geom), 3) AS geom
  FROM counties c JOIN grid g
    ON g.ROWID IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = 'grid' AND search_frame = c.geom)
  WHERE ST_Intersects(c.geom, g.geom) = 1)
SELECT * FROM x WHERE ST_Area(geom) > 0;
