/* geohash.c - geohash encoding, boxes, neighbours and distances (see geohash.h). */
#include "types/geohash.h"

#include <math.h>

#define DEG_RAD (M_PI / 180.0)
#define EARTH_RADIUS_M 6372797.560856
#define MERCATOR_MAX 20037726.37

static const uint64_t EVEN_BITS = 0x5555555555555555ULL;
static const uint64_t ODD_BITS = 0xaaaaaaaaaaaaaaaaULL;

static double deg_rad(double deg) {
    return deg * DEG_RAD;
}

static double rad_deg(double rad) {
    return rad / DEG_RAD;
}

/* Moves the 32 bits of v to the even bit positions of a 64-bit word. */
static uint64_t spread_bits(uint32_t v) {
    uint64_t x = v;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x << 2)) & 0x3333333333333333ULL;
    x = (x | (x << 1)) & EVEN_BITS;
    return x;
}

/* The inverse: the even bits of x packed into 32 bits. */
static uint32_t gather_bits(uint64_t x) {
    x &= EVEN_BITS;
    x = (x | (x >> 1)) & 0x3333333333333333ULL;
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
    return (uint32_t)x;
}

static const geoRange wgs84_lon = {GEO_LONG_MIN, GEO_LONG_MAX};
static const geoRange wgs84_lat = {GEO_LAT_MIN, GEO_LAT_MAX};

int geohash_encode(const geoRange *lon_r, const geoRange *lat_r, double lon, double lat, int step, geoHash *out) {
    if (step > 32 || step == 0) return 0;
    if (lon > GEO_LONG_MAX || lon < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN) return 0;
    out->bits = 0;
    out->step = (uint8_t)step;
    if (lat < lat_r->min || lat > lat_r->max || lon < lon_r->min || lon > lon_r->max) return 0;
    double lat_off = (lat - lat_r->min) / (lat_r->max - lat_r->min);
    double lon_off = (lon - lon_r->min) / (lon_r->max - lon_r->min);
    lat_off *= (double)(1ULL << step);
    lon_off *= (double)(1ULL << step);
    out->bits = spread_bits((uint32_t)lat_off) | (spread_bits((uint32_t)lon_off) << 1);
    return 1;
}

int geohash_encode_wgs84(double lon, double lat, int step, geoHash *out) {
    return geohash_encode(&wgs84_lon, &wgs84_lat, lon, lat, step, out);
}

/* The box of a hash over the WGS84 ranges; 0 for the "no box" hash. */
static int box_of(geoHash h, geoArea *a) {
    if (h.bits == 0 && h.step == 0) return 0;
    a->hash = h;
    uint32_t ilat = gather_bits(h.bits), ilon = gather_bits(h.bits >> 1);
    double scale = (double)(1ULL << h.step);
    double lat_scale = wgs84_lat.max - wgs84_lat.min, lon_scale = wgs84_lon.max - wgs84_lon.min;
    a->lat.min = wgs84_lat.min + (ilat * 1.0 / scale) * lat_scale;
    a->lat.max = wgs84_lat.min + ((uint32_t)(ilat + 1) * 1.0 / scale) * lat_scale;
    a->lon.min = wgs84_lon.min + (ilon * 1.0 / scale) * lon_scale;
    a->lon.max = wgs84_lon.min + ((uint32_t)(ilon + 1) * 1.0 / scale) * lon_scale;
    return 1;
}

static double clamp(double v, double lo, double hi) {
    return v > hi ? hi : v < lo ? lo : v;
}

/* A score as the integer Redis reads from it ((uint64_t) of the double on x86-64, defined here
 * for every value: negative scores wrap, out-of-range ones give what the instruction gives). */
static uint64_t score_bits(double score) {
    const double two63 = 9223372036854775808.0;
    if (score >= 0 && score < two63) return (uint64_t)score;
    if (score >= two63 && score < 2 * two63) return (uint64_t)(score - two63) ^ (1ULL << 63);
    if (score < 0 && score > -two63) return (uint64_t)(int64_t)score;
    return score < 0 ? 1ULL << 63 : 0;
}

int geohash_decode_score(double score, double *xy) {
    geoHash h = {score_bits(score), GEO_STEP_MAX};
    geoArea a;
    if (!box_of(h, &a)) return 0;
    xy[0] = clamp((a.lon.min + a.lon.max) / 2, GEO_LONG_MIN, GEO_LONG_MAX);
    xy[1] = clamp((a.lat.min + a.lat.max) / 2, GEO_LAT_MIN, GEO_LAT_MAX);
    return 1;
}

uint64_t geohash_align52(geoHash h) {
    return h.bits << (52 - h.step * 2);
}

/* The hash one box over along one coordinate: `self` selects its bits (ODD_BITS longitude,
 * EVEN_BITS latitude), d is +1 or -1. The other coordinate's bits are kept. */
static geoHash move(geoHash h, uint64_t self, int d) {
    uint64_t mine = h.bits & self, other = h.bits & ~self;
    uint64_t fill = ~self >> (64 - h.step * 2);      /* the other coordinate's bits in range */
    if (d > 0)
        mine = mine + (fill + 1);
    else
        mine = (mine | fill) - (fill + 1);
    mine &= self >> (64 - h.step * 2);
    h.bits = mine | other;
    return h;
}

double geo_distance(double lon1, double lat1, double lon2, double lat2) {
    double lon1r = deg_rad(lon1), lon2r = deg_rad(lon2);
    double v = sin((lon2r - lon1r) / 2);
    if (v == 0.0) return EARTH_RADIUS_M * fabs(deg_rad(lat2) - deg_rad(lat1));
    double lat1r = deg_rad(lat1), lat2r = deg_rad(lat2);
    double u = sin((lat2r - lat1r) / 2);
    double a = u * u + cos(lat1r) * cos(lat2r) * v * v;
    return 2.0 * EARTH_RADIUS_M * asin(sqrt(a));
}

/* Bits per coordinate for a search of the given radius: boxes about as large as the radius,
 * one level coarser near the poles where meridians converge. */
static int steps_for_radius(double meters, double lat) {
    if (meters == 0) return GEO_STEP_MAX;
    int step = 1;
    while (meters < MERCATOR_MAX) {
        meters *= 2;
        step++;
    }
    step -= 2;
    if (lat > 66 || lat < -66) {
        step--;
        if (lat > 80 || lat < -80) step--;
    }
    return step < 1 ? 1 : step > GEO_STEP_MAX ? GEO_STEP_MAX : step;
}

/* The shape's bounding box: min lon, min lat, max lon, max lat. */
static void bounding_box(const geoShape *s, double *b) {
    double lon = s->xy[0], lat = s->xy[1];
    double height = s->unit * (s->type == GEO_CIRCLE ? s->radius : s->height / 2);
    double width = s->unit * (s->type == GEO_CIRCLE ? s->radius : s->width / 2);
    double lat_delta = rad_deg(height / EARTH_RADIUS_M);
    double lon_delta_top = rad_deg(width / EARTH_RADIUS_M / cos(deg_rad(lat + lat_delta)));
    double lon_delta_bottom = rad_deg(width / EARTH_RADIUS_M / cos(deg_rad(lat - lat_delta)));
    /* The wider edge is the one nearer the equator. */
    double lon_delta = lat < 0 ? lon_delta_bottom : lon_delta_top;
    b[0] = lon - lon_delta;
    b[2] = lon + lon_delta;
    b[1] = lat - lat_delta;
    b[3] = lat + lat_delta;
}

/* The centre box at `step` and its neighbours in Redis's order. */
static void boxes_at(const geoShape *s, int step, geoHash *boxes, geoArea *centre) {
    geoHash h;
    geohash_encode_wgs84(s->xy[0], s->xy[1], step, &h);
    boxes[0] = h;
    boxes[1] = move(h, EVEN_BITS, 1);                        /* north */
    boxes[2] = move(h, EVEN_BITS, -1);                       /* south */
    boxes[3] = move(h, ODD_BITS, 1);                         /* east */
    boxes[4] = move(h, ODD_BITS, -1);                        /* west */
    boxes[5] = move(move(h, ODD_BITS, 1), EVEN_BITS, 1);     /* north-east */
    boxes[6] = move(move(h, ODD_BITS, -1), EVEN_BITS, 1);    /* north-west */
    boxes[7] = move(move(h, ODD_BITS, 1), EVEN_BITS, -1);    /* south-east */
    boxes[8] = move(move(h, ODD_BITS, -1), EVEN_BITS, -1);   /* south-west */
    box_of(h, centre);
}

void geo_search_boxes(const geoShape *s, geoHash boxes[9]) {
    double b[4];
    bounding_box(s, b);
    double radius = s->type == GEO_CIRCLE ? s->radius
                                           : sqrt((s->width / 2) * (s->width / 2) + (s->height / 2) * (s->height / 2));
    int step = steps_for_radius(radius * s->unit, s->xy[1]);
    geoArea centre, n, so, e, w;
    boxes_at(s, step, boxes, &centre);
    /* Near an edge of its box the centre's neighbours may not reach the shape's bounding box:
     * one level coarser then. */
    box_of(boxes[1], &n);
    box_of(boxes[2], &so);
    box_of(boxes[3], &e);
    box_of(boxes[4], &w);
    if (step > 1 && (n.lat.max < b[3] || so.lat.min > b[1] || e.lon.max < b[2] || w.lon.min > b[0]))
        boxes_at(s, --step, boxes, &centre);
    if (step < 2) return;
    /* Drop the neighbours on a side the centre box already covers past the bounding box. */
    static const int south[] = {2, 8, 7}, north[] = {1, 5, 6}, west[] = {4, 8, 6}, east[] = {3, 7, 5};
    const geoHash none = {0, 0};
    for (int i = 0; i < 3; i++) {
        if (centre.lat.min < b[1]) boxes[south[i]] = none;
        if (centre.lat.max > b[3]) boxes[north[i]] = none;
        if (centre.lon.min < b[0]) boxes[west[i]] = none;
        if (centre.lon.max > b[2]) boxes[east[i]] = none;
    }
}

int geo_in_shape(const geoShape *s, double score, double *xy, double *dist) {
    if (!geohash_decode_score(score, xy)) return 0;
    if (s->type == GEO_CIRCLE) {
        *dist = geo_distance(s->xy[0], s->xy[1], xy[0], xy[1]);
        return *dist <= s->radius * s->unit;
    }
    double width = s->width * s->unit, height = s->height * s->unit;
    if (EARTH_RADIUS_M * fabs(deg_rad(s->xy[1]) - deg_rad(xy[1])) > height / 2) return 0;
    if (geo_distance(xy[0], xy[1], s->xy[0], xy[1]) > width / 2) return 0;
    *dist = geo_distance(s->xy[0], s->xy[1], xy[0], xy[1]);
    return 1;
}
