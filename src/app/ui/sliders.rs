//! Sliders generated from a rule's parameter schema: a usable range around the current value
//! inside the declared bounds, logarithmic where the bounds span decades.

use bevy_egui::egui;

use crate::sim::ParamSpec;

/// Largest ratio of slider ends shown around the current value; a schema range wider than this
/// (such as w_max's 1e-12..1e12) is narrowed to two decades either side of the value.
const SPAN: f64 = 100.0;

/// The slider's (low, high, logarithmic) for a parameter currently at `value`.
pub fn slider_range(spec: &ParamSpec, value: f64) -> (f64, f64, bool) {
    let (min, max) = (spec.min, spec.max);
    if min > 0.0 && max / min > SPAN * SPAN {
        let v = if value.is_finite() && value > 0.0 { value } else { spec.default.max(min) };
        let lo = (v / SPAN).max(min);
        let hi = (v * SPAN).min(max);
        (lo, hi, true)
    } else if min > 0.0 && max / min >= 100.0 {
        (min, max, true)
    } else if min <= 0.0 && max.is_finite() && min.is_finite() && max - min > 1e6 {
        let v = value.abs().max(spec.default.abs()).max(1.0);
        ((-v * SPAN).max(min), (v * SPAN).min(max), false)
    } else {
        (min, max, false)
    }
}

/// Clamps a slider position into the parameter's declared bounds.
pub fn to_slider_value(spec: &ParamSpec, value: f64) -> f64 {
    value.clamp(spec.min, spec.max)
}

/// Draws the slider and a precise entry box for one parameter (a weight in `weight_unit`, its
/// target's); returns the new value when the user changed it.
pub fn param_slider(ui: &mut egui::Ui, spec: &ParamSpec, value: f64, weight_unit: &str) -> Option<f64> {
    let (lo, hi, log) = slider_range(spec, value);
    let mut v = value;
    let unit = if spec.unit == crate::sim::Dim::Weight { weight_unit } else { spec.unit.unit() };
    let mut changed = false;
    ui.horizontal(|ui| {
        let label = ui.label(spec.name);
        label.on_hover_text(format!("{} [{} … {} {unit}], default {}", spec.doc, spec.min, spec.max, spec.default));
        let slider = egui::Slider::new(&mut v, lo..=hi)
            .logarithmic(log)
            .suffix(format!(" {unit}"))
            .clamping(egui::SliderClamping::Never);
        changed |= ui.add(slider).changed();
    });
    (changed && v != value).then(|| to_slider_value(spec, v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plasticity::schema::{TAU_PLUS, W_MAX};

    #[test]
    fn wide_ranges_narrow_around_the_value_and_stay_in_bounds() {
        let (lo, hi, log) = slider_range(&W_MAX, 2.0);
        assert!(log);
        assert!((lo - 0.02).abs() < 1e-12 && (hi - 200.0).abs() < 1e-9);
        let (lo, hi, log) = slider_range(&TAU_PLUS, 20.0);
        assert!(log && lo == TAU_PLUS.min && hi == TAU_PLUS.max);
        assert_eq!(to_slider_value(&TAU_PLUS, 1e9), TAU_PLUS.max);
    }
}
