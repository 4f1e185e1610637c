/* geohash.h - the geohashes and distances behind the geo commands (t_geo.c).
 *
 * A position is a 52-bit integer: longitude and latitude each scaled to 26 bits over
 * [-180, 180] and [-85.05112878, 85.05112878] (the Web Mercator limits), interleaved with the
 * latitude in the even bits and the longitude in the odd bits. Sorted by this number, points
 * that share a prefix share a box, so a search reads a few score ranges of the sorted set: the
 * box around the centre at a precision chosen from the radius, and its 8 neighbours.
 *
 * Every formula follows Redis's geohash.c / geohash_helper.c operation by operation, because
 * the replies print coordinates with 17 digits and distances rounded to 4 decimals: the same
 * inputs must give the same doubles. Distances are haversine on a sphere of radius
 * 6372797.560856 m. */
#ifndef KEEL_GEOHASH_H
#define KEEL_GEOHASH_H

#include <stdint.h>

#define GEO_STEP_MAX 26
#define GEO_LAT_MIN -85.05112878
#define GEO_LAT_MAX 85.05112878
#define GEO_LONG_MIN -180
#define GEO_LONG_MAX 180

typedef struct geoHash {
    uint64_t bits;
    uint8_t step;           /* bits per coordinate; 0 with bits 0 means "no box" */
} geoHash;

typedef struct geoRange {
    double min, max;
} geoRange;

typedef struct geoArea {
    geoHash hash;
    geoRange lon, lat;
} geoArea;

/* Encodes a point with `step` bits per coordinate over the given ranges; 0 if the point is
 * outside them or the Web Mercator limits. */
int geohash_encode(const geoRange *lon_r, const geoRange *lat_r, double lon, double lat, int step, geoHash *out);
int geohash_encode_wgs84(double lon, double lat, int step, geoHash *out);
/* The centre of a 52-bit score's box, clamped to the limits: xy[0] longitude, xy[1] latitude. */
int geohash_decode_score(double score, double *xy);
/* The hash shifted to a 52-bit score (the first score of its box). */
uint64_t geohash_align52(geoHash h);

/* Haversine distance in metres; the latitude-only form when the longitudes are equal. */
double geo_distance(double lon1, double lat1, double lon2, double lat2);

/* A search shape; distances in `unit`s, unit = metres per unit. */
enum { GEO_CIRCLE = 1, GEO_BOX = 2 };
typedef struct geoShape {
    int type;
    double xy[2];           /* centre: longitude, latitude */
    double unit;
    double radius;          /* GEO_CIRCLE */
    double width, height;   /* GEO_BOX */
} geoShape;

/* The boxes to scan for a shape, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW); boxes
 * that cannot hold a match have step 0 and bits 0. */
void geo_search_boxes(const geoShape *s, geoHash boxes[9]);
/* Whether the point of a 52-bit score lies in the shape: its coordinates and its distance to
 * the centre in metres. */
int geo_in_shape(const geoShape *s, double score, double *xy, double *dist);

#endif
