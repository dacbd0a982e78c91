-- PostGIS overlay: every county × grid cell pair whose intersection has
-- polygonal area, through the GiST index (the planner picks a nested loop over
-- counties with an index scan of grid, and may run it on parallel workers).
-- MATERIALIZED keeps PostgreSQL from pulling the subquery up, which would
-- compute each intersection twice (once in the filter, once in the output).
CREATE TABLE pieces AS
WITH x AS MATERIALIZED (
  SELECT c.fid AS county_fid, c.name, c.city_key, g.cell_id,
         ST_CollectionExtract(ST_Intersection(c.geom, g.geom), 3) AS geom
  FROM counties c JOIN grid g ON ST_Intersects(c.geom, g.geom))
SELECT * FROM x WHERE ST_Area(geom) > 0;
