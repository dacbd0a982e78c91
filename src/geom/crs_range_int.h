/* crs_range_int.h — the range of coordinates a CRS takes (from PROJ's area
 * of use) and a guess of the CRS of coordinates that fall outside it, for
 * the loader's and check's messages. */
#ifndef PLANKIT_CRS_RANGE_INT_H
#define PLANKIT_CRS_RANGE_INT_H

#include <stddef.h>

/* The box (x0, y0, x1, y1, in the CRS's own axis order for GIS: x = east)
 * that coordinates of the CRS `def` ("EPSG:N", WKT or a PROJ string) may
 * take: for a geographic CRS its area of use widened by a degree, within
 * -180..180, -90..90; for a projected one its area of use in its own units
 * widened by half its size each way (its formulas hold well beyond it).
 * Returns 0 when PROJ cannot tell (then nothing is checked). */
int pk_crs_range(const char *def, double b[4]);

/* A hint for coordinates around x, y that do not fit the CRS they were
 * read in: "give --s_srs, e.g. --s_srs EPSG:4528 (...)". metric_srid: the
 * store's metric CRS or 0, used to pick the Gauss-Krüger zone of metres
 * without a zone prefix. Writes a sentence into out. */
void pk_crs_hint(double x, double y, int metric_srid, char *out, size_t size);

#endif
