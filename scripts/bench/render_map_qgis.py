#!/usr/bin/python3
"""render_map_qgis.py — the QGIS side of scripts/bench/render_map.sh: the
Kunshan zone map of styles/zones.json drawn by QGIS (PyQGIS, headless) from
the same layers (layers/*.geojson), in the same CRS and extent, on an A3
landscape print layout with a title, a legend, a scale bar and a north arrow,
exported as PDF (and PNG) at the given DPI.

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 render_map_qgis.py LAYERS_DIR OUT.pdf|OUT.png DPI

Symbology is written here by hand to match styles/zones.json (colours, widths,
dashes, categories, the town and zone labels with halos); QGIS does not read
MapLibre styles. Prints the seconds the export took (the layout drawn and
written) on stdout; project set-up is not timed.
"""
import os
import sys
import time

from qgis.core import (QgsApplication, QgsCategorizedSymbolRenderer, QgsCoordinateReferenceSystem,
                       QgsFillSymbol, QgsLayoutExporter, QgsLayoutItemLabel, QgsLayoutItemLegend,
                       QgsLayoutItemMap, QgsLayoutItemPicture, QgsLayoutItemScaleBar, QgsLayoutPoint,
                       QgsLayoutSize, QgsLineSymbol, QgsMarkerSymbol, QgsPalLayerSettings, QgsPrintLayout,
                       QgsProject, QgsRectangle, QgsRendererCategory, QgsTextBufferSettings, QgsTextFormat,
                       QgsUnitTypes, QgsVectorLayer, QgsVectorLayerSimpleLabeling, QgsCoordinateTransform)
from qgis.PyQt.QtGui import QColor, QFont


def layer(layers_dir, file, name):
    lyr = QgsVectorLayer(os.path.join(layers_dir, file), name, "ogr")
    if not lyr.isValid():
        sys.exit("render_map_qgis.py: cannot read " + file)
    QgsProject.instance().addMapLayer(lyr)
    return lyr


def fill(color, outline, opacity=1.0, width="0.26"):
    s = QgsFillSymbol.createSimple({"color": color, "outline_color": outline, "outline_width": width})
    s.setOpacity(opacity)
    return s


def categorized(field, cats, default, make):
    items = [QgsRendererCategory(v, make(c), v) for v, c in cats] + [QgsRendererCategory(None, make(default), "")]
    return QgsCategorizedSymbolRenderer(field, items)


def labels(lyr, size_px, color, expression=None):
    s = QgsPalLayerSettings()
    s.fieldName = expression or "name"
    s.isExpression = expression is not None
    fmt = QgsTextFormat()
    fmt.setFont(QFont("Noto Sans CJK SC"))
    fmt.setSize(size_px * 0.75)
    fmt.setColor(QColor(color))
    buf = QgsTextBufferSettings()
    buf.setEnabled(True)
    buf.setSize(0.4)
    buf.setColor(QColor("#ffffff"))
    fmt.setBuffer(buf)
    s.setFormat(fmt)
    lyr.setLabeling(QgsVectorLayerSimpleLabeling(s))
    lyr.setLabelsEnabled(True)


def style_layers(d):
    """The layers of styles/zones.json, bottom to top."""
    px = 25.4 / 96  # one CSS pixel in mm
    region = layer(d, "kunshan-region.geojson", "region")
    region.renderer().setSymbol(fill("#e6e2d8", "#b8b1a2", 1, str(0.8 * px)))
    towns = layer(d, "kunshan-towns.geojson", "towns")
    towns.setRenderer(categorized("category", [("development zone", "#dfe8f3"), ("town", "#eef0e2")], "#eeeeee",
                                  lambda c: fill(c, "#8a8f99", 0.9, str(px))))
    labels(towns, 13, "#3c3c3c")
    water = layer(d, "kunshan-water.geojson", "water")
    water.renderer().setSymbol(fill("#a8d4f0", "#5b9bd5"))
    rivers = layer(d, "kunshan-rivers.geojson", "rivers")
    rivers.renderer().setSymbol(QgsLineSymbol.createSimple({"line_color": "#5b9bd5", "line_width": str(2 * px)}))
    city = layer(d, "kunshan-city.geojson", "city")
    city.renderer().setSymbol(QgsFillSymbol.createSimple({"style": "no", "outline_color": "#5a4a3a",
                                                          "outline_width": str(2.3 * px)}))
    for file, name, color, opacity in (("kunshan-demo-zone.geojson", "demo_zone", "#9fc5e8", 0.35),
                                       ("kunshan-sci-zones.geojson", "sci_zones", "#8e7cc3", 0.4),
                                       ("kunshan-key-areas.geojson", "key_areas", "#e06666", 0.45)):
        z = layer(d, file, name)
        z.renderer().setSymbol(fill(color, "#990000" if name == "key_areas" else color, opacity, str(1.5 * px)))
        if name != "demo_zone":
            labels(z, 12, "#7f0000")
    plan = layer(d, "kunshan-plan-areas.geojson", "plan_areas")
    plan.setSubsetString("code IN ('MAIN-CITY', 'KS-CHAIN', 'KS-CBZ', 'JKT')")
    plan.renderer().setSymbol(QgsFillSymbol.createSimple({"style": "no", "outline_color": "#8e44ad",
                                                          "outline_width": str(1.5 * px), "outline_style": "dash"}))
    metro = layer(d, "kunshan-line11.geojson", "metro_line11")
    metro.renderer().setSymbol(QgsLineSymbol.createSimple({"line_color": "#d4237a", "line_width": str(3 * px)}))
    stations = layer(d, "kunshan-line11-stations.geojson", "metro_stations")
    stations.renderer().setSymbol(QgsMarkerSymbol.createSimple({"color": "#ffffff", "outline_color": "#d4237a",
                                                                "size": str(7 * px)}))
    places = layer(d, "kunshan-places.geojson", "places")
    places.setRenderer(categorized("category", [("hospital", "#cc0000"), ("university", "#3d85c6"),
                                                ("park", "#38761d"), ("heritage", "#b45f06")], "#666666",
                                   lambda c: QgsMarkerSymbol.createSimple({"color": c, "outline_color": "#ffffff",
                                                                           "size": str(7 * px)})))
    root = QgsProject.instance().layerTreeRoot()  # draw order: last added on top
    order = [places, stations, metro, plan] + [l for l in QgsProject.instance().mapLayersByName("key_areas")] + \
        QgsProject.instance().mapLayersByName("sci_zones") + QgsProject.instance().mapLayersByName("demo_zone") + \
        [city, rivers, water, towns, region]
    root.setHasCustomLayerOrder(True)
    root.setCustomLayerOrder(order)
    return city, order


def build_layout(city, order, crs):
    project = QgsProject.instance()
    project.setCrs(crs)
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    page = layout.pageCollection().page(0)
    page.setPageSize("A3", page.Landscape)
    title = QgsLayoutItemLabel(layout)
    title.setText("昆山市 区镇与重点片区")
    title.setFont(QFont("Noto Sans CJK SC", 22))
    title.attemptMove(QgsLayoutPoint(12, 10, QgsUnitTypes.LayoutMillimeters))
    title.attemptResize(QgsLayoutSize(300, 12, QgsUnitTypes.LayoutMillimeters))
    layout.addLayoutItem(title)
    m = QgsLayoutItemMap(layout)
    layout.addLayoutItem(m)
    m.attemptResize(QgsLayoutSize(300, 250, QgsUnitTypes.LayoutMillimeters))
    m.setCrs(crs)
    m.setLayers(order)
    e = QgsCoordinateTransform(city.crs(), crs, project).transformBoundingBox(city.extent())
    dx, dy = e.width() * 0.04, e.height() * 0.04  # the 4 % margin plankit leaves
    m.zoomToExtent(QgsRectangle(e.xMinimum() - dx, e.yMinimum() - dy, e.xMaximum() + dx, e.yMaximum() + dy))
    m.attemptMove(QgsLayoutPoint(12, 26, QgsUnitTypes.LayoutMillimeters))  # moved before an extent, it has none
    m.setFrameEnabled(True)
    legend = QgsLayoutItemLegend(layout)
    legend.setLinkedMap(m)
    legend.attemptMove(QgsLayoutPoint(318, 26, QgsUnitTypes.LayoutMillimeters))
    layout.addLayoutItem(legend)
    bar = QgsLayoutItemScaleBar(layout)
    bar.setStyle("Single Box")
    bar.setLinkedMap(m)
    bar.applyDefaultSize()
    bar.attemptMove(QgsLayoutPoint(18, 258, QgsUnitTypes.LayoutMillimeters))
    layout.addLayoutItem(bar)
    north = QgsLayoutItemPicture(layout)
    north.setPicturePath(QgsApplication.defaultThemePath() + "/north_arrows/layout_default_north_arrow.svg")
    north.setLinkedMap(m)
    north.setNorthMode(QgsLayoutItemPicture.TrueNorth)
    north.attemptMove(QgsLayoutPoint(290, 30, QgsUnitTypes.LayoutMillimeters))
    north.attemptResize(QgsLayoutSize(15, 20, QgsUnitTypes.LayoutMillimeters))
    layout.addLayoutItem(north)
    return layout


def main():
    layers_dir, out, dpi = sys.argv[1], sys.argv[2], int(sys.argv[3])
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    city, order = style_layers(layers_dir)
    layout = build_layout(city, order, QgsCoordinateReferenceSystem("EPSG:4549"))
    exporter = QgsLayoutExporter(layout)
    start = time.monotonic()
    if out.endswith(".pdf"):
        s = QgsLayoutExporter.PdfExportSettings()
        s.dpi = dpi
        s.rasterizeWholeImage = False
        s.forceVectorOutput = True
        rc = exporter.exportToPdf(out, s)
    else:
        s = QgsLayoutExporter.ImageExportSettings()
        s.dpi = dpi
        rc = exporter.exportToImage(out, s)
    took = time.monotonic() - start
    if rc != QgsLayoutExporter.Success:
        sys.exit("render_map_qgis.py: export failed (%d)" % rc)
    print("%.3f" % took)
    app.exitQgis()


if __name__ == "__main__":
    main()
