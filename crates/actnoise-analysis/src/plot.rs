//! Heatmaps and curves, drawn with plotters to PNG and SVG.
//!
//! Text is drawn with DejaVu Sans embedded in the binary (plotters' `ab_glyph` feature), so no
//! system font library or font file is needed.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};
use crate::io::write_atomic;

/// A heatmap: a grid of values (accuracy in %) with labelled rows and columns.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapSpec {
    /// Title above the plot.
    pub title: String,
    /// Horizontal axis description.
    pub x_label: String,
    /// Vertical axis description.
    pub y_label: String,
    /// Column labels, left to right.
    pub x_ticks: Vec<String>,
    /// Row labels, top to bottom.
    pub y_ticks: Vec<String>,
    /// `values[row][column]`, in %; `None` where nothing was measured.
    pub values: Vec<Vec<Option<f64>>>,
    /// Colour-bar description.
    pub colorbar_label: String,
    /// Image size in pixels (width, height).
    pub size: (u32, u32),
}

impl HeatmapSpec {
    /// A heatmap of accuracy (%) with the default size (900 × 760).
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
        x_ticks: Vec<String>,
        y_ticks: Vec<String>,
        values: Vec<Vec<Option<f64>>>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_ticks,
            y_ticks,
            values,
            colorbar_label: "accuracy (%)".into(),
            size: (900, 760),
        }
    }

    fn validate(&self) -> Result<()> {
        let bad = |what: String| {
            Err(Error::InvalidInput { what: format!("heatmap {:?}: {what}", self.title) })
        };
        if self.x_ticks.is_empty() || self.y_ticks.is_empty() {
            return bad("needs at least one row and one column".into());
        }
        if self.values.len() != self.y_ticks.len() {
            return bad(format!(
                "{} rows of values for {} row labels",
                self.values.len(),
                self.y_ticks.len()
            ));
        }
        if let Some(r) = self.values.iter().position(|r| r.len() != self.x_ticks.len()) {
            return bad(format!(
                "row {r} has {} values for {} column labels",
                self.values[r].len(),
                self.x_ticks.len()
            ));
        }
        if self.values.iter().flatten().flatten().any(|v| !v.is_finite()) {
            return bad("values must be finite".into());
        }
        if self.size.0 < 300 || self.size.1 < 200 {
            return bad(format!("size {:?} is too small (at least 300 × 200)", self.size));
        }
        Ok(())
    }
}

/// One point of a curve: y and its uncertainty in the y unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePoint {
    /// Abscissa.
    pub x: f64,
    /// Ordinate.
    pub y: f64,
    /// Half-length of the error bar (0 for none).
    pub err: f64,
}

/// One labelled curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points, drawn in x order.
    pub points: Vec<CurvePoint>,
}

/// Several curves on one pair of axes.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveSpec {
    /// Title above the plot.
    pub title: String,
    /// Horizontal axis description.
    pub x_label: String,
    /// Vertical axis description.
    pub y_label: String,
    /// Logarithmic x axis (all x must then be > 0).
    pub log_x: bool,
    /// The curves.
    pub series: Vec<Series>,
    /// Image size in pixels (width, height).
    pub size: (u32, u32),
}

impl CurveSpec {
    /// Curves with the default size (900 × 600).
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
        log_x: bool,
        series: Vec<Series>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_x,
            series,
            size: (900, 600),
        }
    }

    fn validate(&self) -> Result<()> {
        let bad = |what: String| {
            Err(Error::InvalidInput { what: format!("curves {:?}: {what}", self.title) })
        };
        if self.series.iter().all(|s| s.points.is_empty()) {
            return bad("no points to draw".into());
        }
        let pts = || self.series.iter().flat_map(|s| &s.points);
        if pts().any(|p| !p.x.is_finite() || !p.y.is_finite() || !p.err.is_finite() || p.err < 0.0)
        {
            return bad("x, y and err must be finite, err >= 0".into());
        }
        if self.log_x && pts().any(|p| p.x <= 0.0) {
            return bad("a logarithmic x axis needs every x > 0".into());
        }
        if self.size.0 < 300 || self.size.1 < 200 {
            return bad(format!("size {:?} is too small (at least 300 × 200)", self.size));
        }
        Ok(())
    }
}

const FONT: &str = "sans-serif";

/// Registers the embedded DejaVu Sans as the "sans-serif" family (once).
fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidInput {
            what: "the embedded DejaVu Sans font did not load (a bug of this crate)".into(),
        })
    }
}

/// Draws with `draw` on a PNG and an SVG backend and writes `<stem>.png` and `<stem>.svg`.
fn render(
    stem: &Path,
    size: (u32, u32),
    draw_png: impl Fn(DrawingArea<BitMapBackend<'_>, Shift>) -> std::result::Result<(), String>,
    draw_svg: impl Fn(DrawingArea<SVGBackend<'_>, Shift>) -> std::result::Result<(), String>,
) -> Result<Vec<PathBuf>> {
    ensure_font()?;
    let png_path = with_ext(stem, "png");
    let svg_path = with_ext(stem, "svg");

    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        draw_png(root).map_err(|what| Error::Plot { path: png_path.clone(), what })?;
    }
    let img = image::RgbImage::from_raw(size.0, size.1, rgb).ok_or_else(|| Error::Plot {
        path: png_path.clone(),
        what: "pixel buffer has the wrong size".into(),
    })?;
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| Error::Plot { path: png_path.clone(), what: format!("PNG encoding: {e}") })?;
    write_atomic(&png_path, &png)?;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw_svg(root).map_err(|what| Error::Plot { path: svg_path.clone(), what })?;
    }
    write_atomic(&svg_path, svg.as_bytes())?;
    Ok(vec![png_path, svg_path])
}

fn with_ext(stem: &Path, ext: &str) -> PathBuf {
    let mut s = stem.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

fn e2s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws a heatmap to `<stem>.png` and `<stem>.svg` (parent directories are created): one
/// coloured cell per value (viridis), the value printed in it with one decimal, labelled axes
/// and a colour bar. Returns the two paths.
///
/// # Errors
/// [`Error::InvalidInput`] if the labels and values disagree in shape or a value is not
/// finite; [`Error::Plot`] if drawing fails; [`Error::Io`] if a file cannot be written.
pub fn heatmap(spec: &HeatmapSpec, stem: &Path) -> Result<Vec<PathBuf>> {
    spec.validate()?;
    render(stem, spec.size, |root| draw_heatmap(root, spec), |root| draw_heatmap(root, spec))
}

fn value_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) =
        values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
    if !lo.is_finite() {
        (0.0, 100.0)
    } else if hi - lo < 1e-9 {
        (lo - 1.0, hi + 1.0)
    } else {
        (lo, hi)
    }
}

fn draw_heatmap<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    spec: &HeatmapSpec,
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(e2s)?;
    let (w, _h) = spec.size;
    let (vmin, vmax) = value_range(spec.values.iter().flatten().flatten().copied());
    let bar_width = 140.min(w / 4);
    let (main, bar) = root.split_horizontally(w - bar_width);
    let nx = spec.x_ticks.len() as i32;
    let ny = spec.y_ticks.len() as i32;
    let max_tick = spec.x_ticks.iter().map(|t| t.chars().count()).max().unwrap_or(1);
    let max_ytick = spec.y_ticks.iter().map(|t| t.chars().count()).max().unwrap_or(1);

    let mut chart = ChartBuilder::on(&main)
        .caption(&spec.title, (FONT, 20).into_font().style(FontStyle::Bold))
        .margin(12)
        .x_label_area_size(if max_tick > 8 { 90 } else { 55 })
        .y_label_area_size((max_ytick as u32 * 8 + 50).min(w / 3))
        .build_cartesian_2d((0..nx - 1).into_segmented(), (0..ny - 1).into_segmented())
        .map_err(e2s)?;

    let x_ticks = spec.x_ticks.clone();
    let y_ticks = spec.y_ticks.clone();
    let label = move |ticks: &[String], v: &SegmentValue<i32>, flip: bool| -> String {
        match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                let i = if flip { ticks.len() as i32 - 1 - *i } else { *i };
                usize::try_from(i).ok().and_then(|i| ticks.get(i)).cloned().unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(spec.x_ticks.len())
        .y_labels(spec.y_ticks.len())
        .x_label_formatter(&|v| label(&x_ticks, v, false))
        .y_label_formatter(&|v| label(&y_ticks, v, true))
        .x_desc(&spec.x_label)
        .y_desc(&spec.y_label)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()
        .map_err(e2s)?;

    let plot_w = chart.plotting_area().dim_in_pixel().0 as f64 / nx.max(1) as f64;
    let plot_h = chart.plotting_area().dim_in_pixel().1 as f64 / ny.max(1) as f64;
    let font_size = (plot_w.min(plot_h) / 3.2).clamp(9.0, 20.0);
    for (r, row) in spec.values.iter().enumerate() {
        let y = ny - 1 - r as i32; // first row at the top
        for (c, v) in row.iter().enumerate() {
            let x = c as i32;
            let corners = [
                (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
            ];
            let centre = (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y));
            let centred = Pos::new(HPos::Center, VPos::Center);
            match v {
                Some(v) => {
                    let colour: RGBColor = ViridisRGB.get_color_normalized(*v, vmin, vmax);
                    chart
                        .draw_series(std::iter::once(Rectangle::new(corners, colour.filled())))
                        .map_err(e2s)?;
                    let luminance =
                        0.299 * colour.0 as f64 + 0.587 * colour.1 as f64 + 0.114 * colour.2 as f64;
                    let ink = if luminance > 140.0 { BLACK } else { WHITE };
                    let style =
                        TextStyle::from((FONT, font_size).into_font()).color(&ink).pos(centred);
                    chart
                        .draw_series(std::iter::once(Text::new(format!("{v:.1}"), centre, style)))
                        .map_err(e2s)?;
                }
                None => {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            corners,
                            RGBColor(235, 235, 235).filled(),
                        )))
                        .map_err(e2s)?;
                    let style = TextStyle::from((FONT, font_size * 0.8).into_font())
                        .color(&RGBColor(120, 120, 120))
                        .pos(centred);
                    chart
                        .draw_series(std::iter::once(Text::new("n/a".to_owned(), centre, style)))
                        .map_err(e2s)?;
                }
            }
        }
    }

    // Colour bar.
    let mut cb = ChartBuilder::on(&bar)
        .margin_top(42)
        .margin_bottom(if max_tick > 8 { 102 } else { 67 })
        .margin_right(10)
        .y_label_area_size(0)
        .right_y_label_area_size(70)
        .build_cartesian_2d(0.0..1.0, vmin..vmax)
        .map_err(e2s)?;
    cb.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v:.1}"))
        .y_desc(&spec.colorbar_label)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(e2s)?;
    let steps = 120;
    let step = (vmax - vmin) / steps as f64;
    cb.draw_series((0..steps).map(|i| {
        let lo = vmin + i as f64 * step;
        let colour: RGBColor = ViridisRGB.get_color_normalized(lo + step / 2.0, vmin, vmax);
        Rectangle::new([(0.0, lo), (1.0, lo + step)], colour.filled())
    }))
    .map_err(e2s)?;
    root.present().map_err(e2s)?;
    Ok(())
}

/// Draws curves to `<stem>.png` and `<stem>.svg` (parent directories are created): one
/// coloured line with markers and error bars per series, a legend, labelled axes, the x axis
/// logarithmic if asked. Returns the two paths.
///
/// # Errors
/// [`Error::InvalidInput`] if there is nothing to draw, a value is not finite, or a log axis
/// gets x ≤ 0; [`Error::Plot`] if drawing fails; [`Error::Io`] if a file cannot be written.
pub fn curves(spec: &CurveSpec, stem: &Path) -> Result<Vec<PathBuf>> {
    spec.validate()?;
    render(stem, spec.size, |root| draw_curves(root, spec), |root| draw_curves(root, spec))
}

fn palette(i: usize) -> RGBColor {
    const COLOURS: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    COLOURS[i % COLOURS.len()]
}

fn draw_curves<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    spec: &CurveSpec,
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(e2s)?;
    let pts = || spec.series.iter().flat_map(|s| &s.points);
    let (xmin, xmax) = value_range(pts().map(|p| p.x));
    let (ymin, ymax) = value_range(pts().flat_map(|p| [p.y - p.err, p.y + p.err]));
    let ypad = (ymax - ymin) * 0.08;
    let (ymin, ymax) = (ymin - ypad, ymax + ypad);
    // Legend in its own column on the right, so it never hides a curve.
    let longest = spec.series.iter().map(|s| s.label.chars().count()).max().unwrap_or(0) as u32;
    let legend_w = (longest * 8 + 50).clamp(110, spec.size.0 / 3);
    let (plot_area, legend_area) = root.split_horizontally(spec.size.0 - legend_w);
    draw_legend(&legend_area, spec)?;
    let mut builder = ChartBuilder::on(&plot_area);
    builder
        .caption(&spec.title, (FONT, 20).into_font().style(FontStyle::Bold))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(65);
    if spec.log_x {
        let (lo, hi) =
            if xmax / xmin < 1.5 { (xmin / 2.0, xmax * 2.0) } else { (xmin / 1.5, xmax * 1.5) };
        let mut chart =
            builder.build_cartesian_2d((lo..hi).log_scale(), ymin..ymax).map_err(e2s)?;
        chart
            .configure_mesh()
            .x_desc(&spec.x_label)
            .y_desc(&spec.y_label)
            .x_label_formatter(&|v| format_log_tick(*v))
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(e2s)?;
        draw_series_on(&mut chart, spec)?;
    } else {
        let xpad = (xmax - xmin) * 0.04;
        let mut chart =
            builder.build_cartesian_2d((xmin - xpad)..(xmax + xpad), ymin..ymax).map_err(e2s)?;
        chart
            .configure_mesh()
            .x_desc(&spec.x_label)
            .y_desc(&spec.y_label)
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(e2s)?;
        draw_series_on(&mut chart, spec)?;
    }
    root.present().map_err(e2s)?;
    Ok(())
}

fn format_log_tick(v: f64) -> String {
    if v >= 1.0 && (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.3}")
    }
}

fn draw_series_on<'a, DB: DrawingBackend + 'a, X: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    spec: &CurveSpec,
) -> std::result::Result<(), String> {
    for (i, s) in spec.series.iter().enumerate() {
        let colour = palette(i);
        let mut points = s.points.clone();
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
        chart
            .draw_series(LineSeries::new(points.iter().map(|p| (p.x, p.y)), colour.stroke_width(2)))
            .map_err(e2s)?;
        chart
            .draw_series(points.iter().map(|p| Circle::new((p.x, p.y), 4, colour.filled())))
            .map_err(e2s)?;
        chart
            .draw_series(points.iter().filter(|p| p.err > 0.0).map(|p| {
                ErrorBar::new_vertical(
                    p.x,
                    p.y - p.err,
                    p.y,
                    p.y + p.err,
                    colour.stroke_width(1),
                    8,
                )
            }))
            .map_err(e2s)?;
    }
    Ok(())
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    spec: &CurveSpec,
) -> std::result::Result<(), String> {
    let top = 60;
    for (i, s) in spec.series.iter().enumerate() {
        let colour = palette(i);
        let y = top + 22 * i as i32;
        area.draw(&PathElement::new(vec![(6, y), (30, y)], colour.stroke_width(3))).map_err(e2s)?;
        area.draw(&Circle::new((18, y), 4, colour.filled())).map_err(e2s)?;
        let style = TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(s.label.clone(), (38, y), style)).map_err(e2s)?;
    }
    Ok(())
}
