use actnoise_dist::{Negate, dropout};
use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions, PadMode};
use burn::tensor::{Device, Tensor};

use crate::{AutoencoderConfig, LayerNoise, NnError, NoisePlan, NoiseSource, Result};

/// The C class autoencoders of an EBM classifier, evaluated together.
///
/// Layer `l` of every class is one grouped convolution with `groups = C`: class `c` owns
/// output channels `c·ch .. (c+1)·ch` of every layer. Inputs and outputs are laid out the same
/// way: `[batch, C·channels, h, w]`, class-major along the channel axis. A bank with `C = 1`
/// is a single [`NoisyConvAutoencoder`](crate::NoisyConvAutoencoder).
#[derive(Module, Debug)]
pub struct ClassBank {
    enc: Vec<Conv2d>,
    dec: Vec<ConvTranspose2d>,
    #[module(skip)]
    classes: usize,
    #[module(skip)]
    config: AutoencoderConfig,
    #[module(skip)]
    conv: ConvPath,
}

/// How a bank computes its convolutions. Both give the same numbers (within float rounding);
/// they differ in speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConvPath {
    /// Burn's `conv2d` / `conv_transpose2d` (on flex: one small GEMM per image and group).
    /// The default: measured faster on flex (see `docs/PERFORMANCE.md`).
    #[default]
    Burn,
    /// im2col over the whole batch and one matmul per class (group), then col2im for the
    /// transposed layers: large GEMMs instead of many small ones. Transposed layers take this
    /// path only for kernel 4, stride 2, padding 1 (the paper's); others use Burn's. Slower on
    /// flex today: its im2col/col2im copies of strided views cost more than the GEMMs save.
    Matmul,
    /// One dense (`groups = 1`) Burn convolution per class on that class's channels, the
    /// outputs concatenated: the layout PyTorch users train with (one model per class), here
    /// with the bank's weights and noise draws unchanged.
    PerClass,
}

/// How noise draws are shared between the classes of a bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DrawSharing {
    /// Every class gets its own independent draw (the paper's protocol).
    #[default]
    Independent,
    /// Common random numbers: one draw per image row, repeated for every class.
    Common,
}

impl ClassBank {
    pub(crate) fn from_layers(
        enc: Vec<Conv2d>,
        dec: Vec<ConvTranspose2d>,
        classes: usize,
        config: AutoencoderConfig,
    ) -> Self {
        Self { enc, dec, classes, config, conv: ConvPath::default() }
    }

    /// The same bank computing its convolutions by `path`.
    pub fn with_conv_path(mut self, path: ConvPath) -> Self {
        self.conv = path;
        self
    }

    /// How this bank computes its convolutions.
    pub fn conv_path(&self) -> ConvPath {
        self.conv
    }

    /// Number of class autoencoders.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The architecture every class shares.
    pub fn config(&self) -> &AutoencoderConfig {
        &self.config
    }

    /// Number of layers of each autoencoder.
    pub fn num_layers(&self) -> usize {
        self.enc.len() + self.dec.len()
    }

    /// The device the weights live on.
    pub fn device(&self) -> Device {
        self.enc[0].weight.val().device()
    }

    fn check_plan(&self, plan: &NoisePlan) -> Result<()> {
        if plan.layers().len() != self.num_layers() {
            return Err(NnError::Plan(format!(
                "plan has {} layers, the model {}",
                plan.layers().len(),
                self.num_layers()
            )));
        }
        Ok(())
    }

    /// Pre-activation `W h + b` of layer `l` (0-based) on grouped input.
    fn linear(&self, l: usize, h: Tensor<4>) -> Tensor<4> {
        let ne = self.enc.len();
        let (k, s, p) = (self.config.kernel, self.config.stride, self.config.padding);
        match self.conv {
            ConvPath::Burn => {
                if l < ne {
                    self.enc[l].forward(h)
                } else {
                    self.dec[l - ne].forward(h)
                }
            }
            ConvPath::Matmul if l < ne => {
                let conv = &self.enc[l];
                conv_matmul(h, conv.weight.val(), bias(&conv.bias), self.classes, k, s, p)
            }
            ConvPath::Matmul if (k, s, p) == (4, 2, 1) => {
                let conv = &self.dec[l - ne];
                conv_t_matmul_4_2_1(h, conv.weight.val(), bias(&conv.bias), self.classes)
            }
            ConvPath::Matmul => self.dec[l - ne].forward(h),
            ConvPath::PerClass => self.linear_per_class(l, h),
        }
    }

    /// [`ConvPath::PerClass`]: layer `l` as C dense convolutions on channel slices.
    fn linear_per_class(&self, l: usize, h: Tensor<4>) -> Tensor<4> {
        let c = self.classes;
        let ne = self.enc.len();
        let ci = h.dims()[1] / c;
        let p = self.config.padding;
        let outs = (0..c)
            .map(|g| {
                let hg = h.clone().narrow(1, g * ci, ci);
                if l < ne {
                    let conv = &self.enc[l];
                    let co = conv.weight.val().dims()[0] / c;
                    conv2d(
                        hg,
                        conv.weight.val().narrow(0, g * co, co),
                        Some(bias(&conv.bias).narrow(0, g * co, co)),
                        ConvOptions::new(conv.stride, [p, p], conv.dilation, 1),
                    )
                } else {
                    let conv = &self.dec[l - ne];
                    let co = bias(&conv.bias).dims()[0] / c;
                    conv_transpose2d(
                        hg,
                        conv.weight.val().narrow(0, g * ci, ci),
                        Some(bias(&conv.bias).narrow(0, g * co, co)),
                        ConvTransposeOptions::new(
                            conv.stride,
                            conv.padding,
                            conv.padding_out,
                            conv.dilation,
                            1,
                        ),
                    )
                }
            })
            .collect();
        Tensor::cat(outs, 1)
    }

    /// Layer 1 on an input shared by every class (`[B, cin, H, W]` → `[B, C·c1, h, w]`):
    /// the grouped weight `[C·c1, cin, k, k]` is exactly a dense convolution's weight.
    fn linear_shared_first(&self, x: Tensor<4>) -> Tensor<4> {
        let conv = &self.enc[0];
        let p = self.config.padding;
        let s = self.config.stride;
        if self.conv == ConvPath::Matmul {
            return conv_matmul(
                x,
                conv.weight.val(),
                bias(&conv.bias),
                1,
                self.config.kernel,
                s,
                p,
            );
        }
        conv2d(
            x,
            conv.weight.val(),
            conv.bias.as_ref().map(|b| b.val()),
            ConvOptions::new([s, s], [p, p], [1, 1], 1),
        )
    }

    /// Activation and noise of layer `l` on its pre-activation.
    fn finish(
        &self,
        l: usize,
        pre: Tensor<4>,
        plan: &NoisePlan,
        source: &mut NoiseSource,
        sharing: DrawSharing,
    ) -> Result<Tensor<4>> {
        let act = if l + 1 == self.num_layers() {
            self.config.output_activation
        } else {
            self.config.hidden_activation
        };
        let s = act.apply(pre);
        let Some(noise) = &plan.layers()[l] else {
            return Ok(s);
        };
        let device = s.device();
        let [rows, ch, h, w] = s.dims();
        let c = self.classes;
        // Under common random numbers one draw of a class's shape is repeated for all classes.
        let (draw_shape, repeat) = match sharing {
            DrawSharing::Common if c > 1 => ([rows, ch / c, h, w], c),
            _ => ([rows, ch, h, w], 1),
        };
        Ok(match noise {
            LayerNoise::Additive(n) => {
                let z = source.additive(n, draw_shape, &device)?;
                s + if repeat > 1 { z.repeat_dim(1, repeat) } else { z }
            }
            LayerNoise::Negate(_) | LayerNoise::Dropout { .. } => {
                let p = match noise {
                    LayerNoise::Negate(neg) => neg.p(),
                    LayerNoise::Dropout { p, .. } => *p,
                    LayerNoise::Additive(_) => unreachable!("matched above"),
                };
                let m = source.mask(p, draw_shape, &device)?;
                let m = if repeat > 1 { m.repeat_dim(1, repeat) } else { m };
                match noise {
                    LayerNoise::Dropout { p, rescale } => dropout(s, m, *p, *rescale),
                    _ => {
                        let z = Negate::noise(&s, m);
                        s + z
                    }
                }
            }
        })
    }

    /// Forward pass with one batch per class: `x` is `[B, C·cin, H, W]` (class `c`'s images in
    /// channels `c·cin..(c+1)·cin`), the output has the same shape. This is the training path:
    /// all classes advance together and stay independent (groups never mix).
    pub fn forward_grouped(
        &self,
        x: Tensor<4>,
        plan: &NoisePlan,
        source: &mut NoiseSource,
    ) -> Result<Tensor<4>> {
        self.check_plan(plan)?;
        let mut h = x;
        for l in 0..self.num_layers() {
            let pre = self.linear(l, h);
            h = self.finish(l, pre, plan, source, DrawSharing::Independent)?;
        }
        Ok(h)
    }

    /// Reconstructions of the same images by every class: `x` is `[B, cin, H, W]`, the output
    /// `[B, C·cin, H, W]` (class `c` in channels `c·cin..(c+1)·cin`).
    pub fn forward_shared(
        &self,
        x: Tensor<4>,
        plan: &NoisePlan,
        source: &mut NoiseSource,
        sharing: DrawSharing,
    ) -> Result<Tensor<4>> {
        self.check_plan(plan)?;
        let pre = self.linear_shared_first(x);
        self.rest(pre, plan, source, sharing)
    }

    fn rest(
        &self,
        pre_first: Tensor<4>,
        plan: &NoisePlan,
        source: &mut NoiseSource,
        sharing: DrawSharing,
    ) -> Result<Tensor<4>> {
        let mut h = self.finish(0, pre_first, plan, source, sharing)?;
        for l in 1..self.num_layers() {
            let pre = self.linear(l, h);
            h = self.finish(l, pre, plan, source, sharing)?;
        }
        Ok(h)
    }

    /// Energies `E(x | y, z) = ‖f(x | y, z) − x‖²` (sum over pixels) of `draws` noise draws:
    /// `x` is `[B, cin, H, W]`, the result `[B, draws, C]`.
    ///
    /// The first layer's pre-activation does not depend on the noise, so it is computed once
    /// per image and repeated over the draws.
    pub fn energies(
        &self,
        x: Tensor<4>,
        draws: usize,
        plan: &NoisePlan,
        source: &mut NoiseSource,
        sharing: DrawSharing,
    ) -> Result<Tensor<3>> {
        self.check_plan(plan)?;
        let [b, cin, hh, ww] = x.dims();
        let pre = self.linear_shared_first(x.clone());
        let pre = if draws == 1 {
            pre
        } else {
            let [_, ch, h, w] = pre.dims();
            pre.unsqueeze_dim::<5>(1).expand([b, draws, ch, h, w]).reshape([b * draws, ch, h, w])
        };
        let out = self.rest(pre, plan, source, sharing)?;
        Ok(Self::energy_of(out, x, draws, self.classes, cin * hh * ww))
    }

    /// `‖out_c − x‖²` per row and class: `out` `[B·draws, C·cin, H, W]`, `x` `[B, cin, H, W]`.
    fn energy_of(out: Tensor<4>, x: Tensor<4>, draws: usize, c: usize, d: usize) -> Tensor<3> {
        let b = x.dims()[0];
        let out = out.reshape([b, draws, c, d]);
        let x = x.reshape([b, 1, 1, d]);
        (out - x).square().sum_dim(3).reshape([b, draws, c])
    }

    /// Splits the bank into its C single-class autoencoders (weights copied).
    pub fn unstack(&self) -> Vec<crate::NoisyConvAutoencoder> {
        let device = self.device();
        (0..self.classes)
            .map(|c| {
                let mut cfg = self.config.clone();
                cfg.in_channels = self.config.in_channels;
                let mut one = cfg.init_bank(1, &device).expect("config was valid for the bank");
                for (dst, src) in one.enc.iter_mut().zip(&self.enc) {
                    copy_conv(dst, src, c, self.classes);
                }
                for (dst, src) in one.dec.iter_mut().zip(&self.dec) {
                    copy_conv_t(dst, src, c, self.classes);
                }
                crate::NoisyConvAutoencoder::from_bank(one)
            })
            .collect()
    }

    /// Stacks C single-class autoencoders of one architecture into a bank.
    pub fn stack(models: &[crate::NoisyConvAutoencoder]) -> Result<Self> {
        let first = models.first().ok_or_else(|| NnError::Config {
            key: "classes",
            value: "0".into(),
            why: "stacking needs at least one model".into(),
        })?;
        let config = first.bank().config.clone();
        if models.iter().any(|m| m.bank().config != config) {
            return Err(NnError::Plan("stacked models differ in architecture".into()));
        }
        let classes = models.len();
        let device = first.bank().device();
        let mut bank = config.init_bank(classes, &device)?;
        for l in 0..bank.enc.len() {
            let w = Tensor::cat(models.iter().map(|m| m.bank().enc[l].weight.val()).collect(), 0);
            bank.enc[l].weight = Param::from_tensor(w);
            let b = Tensor::cat(models.iter().map(|m| bias(&m.bank().enc[l].bias)).collect(), 0);
            bank.enc[l].bias = Some(Param::from_tensor(b));
        }
        for l in 0..bank.dec.len() {
            let w = Tensor::cat(models.iter().map(|m| m.bank().dec[l].weight.val()).collect(), 0);
            bank.dec[l].weight = Param::from_tensor(w);
            let b = Tensor::cat(models.iter().map(|m| bias(&m.bank().dec[l].bias)).collect(), 0);
            bank.dec[l].bias = Some(Param::from_tensor(b));
        }
        Ok(bank)
    }

    /// Every parameter tensor of class `c` in PyTorch's layout and naming
    /// (`encoder.{i}.weight` `[out, in, k, k]`, `decoder.{i}.weight` `[in, out, k, k]`, and
    /// the `.bias` of each), as `(name, shape, values)`.
    pub fn class_tensors(&self, c: usize) -> Vec<(String, Vec<usize>, Vec<f32>)> {
        let mut out = Vec::new();
        let mut push = |name: String, t: Tensor<4>| {
            let shape = t.dims().to_vec();
            out.push((name, shape, t.into_data().try_to_vec::<f32>().expect("f32 weights")));
        };
        let one = &self.unstack()[c];
        for (i, conv) in one.bank().enc.iter().enumerate() {
            push(format!("encoder.{i}.weight"), conv.weight.val());
            push(format!("encoder.{i}.bias"), bias(&conv.bias).reshape([1, 1, 1, -1]));
        }
        for (i, conv) in one.bank().dec.iter().enumerate() {
            push(format!("decoder.{i}.weight"), conv.weight.val());
            push(format!("decoder.{i}.bias"), bias(&conv.bias).reshape([1, 1, 1, -1]));
        }
        for t in &mut out {
            if t.0.ends_with(".bias") {
                t.1 = vec![t.2.len()];
            }
        }
        out
    }
}

/// Grouped convolution `[B, G·ci, H, W]` → `[B, G·co, Ho, Wo]` (weight `[G·co, ci, k, k]`) as
/// im2col over the whole batch and one `[co, ci·k²] × [ci·k², B·Ho·Wo]` matmul per group.
fn conv_matmul(
    x: Tensor<4>,
    w: Tensor<4>,
    b: Tensor<1>,
    groups: usize,
    k: usize,
    s: usize,
    p: usize,
) -> Tensor<4> {
    let [bsz, gci, _, _] = x.dims();
    let [gco, ci, _, _] = w.dims();
    let co = gco / groups;
    let xp = if p > 0 { x.pad((p, p, p, p), PadMode::Constant(0.0)) } else { x };
    // Zero-copy windows: [B, G·ci, Ho, Wo, k, k].
    let win: Tensor<6> = xp.unfold::<5, _>(2, k, s).unfold(3, k, s);
    let [_, _, ho, wo, _, _] = win.dims();
    let n = bsz * ho * wo;
    // [G·ci, k, k, B, Ho, Wo] → [G, ci·k², B·Ho·Wo] (the one im2col copy).
    let cols = win.permute([1, 4, 5, 0, 2, 3]).reshape([groups, gci / groups * k * k, n]);
    let wm = w.reshape([groups, co, ci * k * k]);
    let y = wm.matmul(cols) + b.reshape([groups, co, 1]);
    y.reshape([gco, bsz, ho * wo]).swap_dims(0, 1).reshape([bsz, gco, ho, wo])
}

/// Grouped transposed convolution with kernel 4, stride 2, padding 1: `[B, G·ci, H, W]` →
/// `[B, G·co, 2H, 2W]` (weight `[G·ci, co, 4, 4]`), as one `[co·16, ci] × [ci, B·H·W]` matmul
/// per group, then col2im by output phase: output row `2m + py` sums kernel rows 1 (input row
/// `m`) and 3 (`m − 1`) for `py = 0`, kernel rows 2 (`m`) and 0 (`m + 1`) for `py = 1`; the
/// same along columns.
fn conv_t_matmul_4_2_1(x: Tensor<4>, w: Tensor<4>, b: Tensor<1>, groups: usize) -> Tensor<4> {
    let [bsz, gci, h, wd] = x.dims();
    let [_, co, _, _] = w.dims();
    let ci = gci / groups;
    let n = bsz * h * wd;
    let xm = x.reshape([bsz, gci, h * wd]).swap_dims(0, 1).reshape([groups, ci, n]);
    let wt = w.reshape([groups, ci, co * 16]).swap_dims(1, 2);
    let cols: Tensor<7> = wt.matmul(xm).reshape([groups, co, 4, 4, bsz, h, wd]);
    let cols = cols.pad((1, 1, 1, 1), PadMode::Constant(0.0));
    // (kernel index, input offset) of each output phase.
    const TAPS: [[(usize, usize); 2]; 2] = [[(1, 1), (3, 0)], [(2, 1), (0, 2)]];
    let mut rows = Vec::with_capacity(2);
    for taps_y in TAPS {
        let mut phases = Vec::with_capacity(2);
        for taps_x in TAPS {
            let mut sum: Option<Tensor<7>> = None;
            for (ky, oy) in taps_y {
                for (kx, ox) in taps_x {
                    let t = cols
                        .clone()
                        .narrow(2, ky, 1)
                        .narrow(3, kx, 1)
                        .narrow(5, oy, h)
                        .narrow(6, ox, wd);
                    sum = Some(match sum {
                        Some(acc) => acc + t,
                        None => t,
                    });
                }
            }
            let phase = sum.expect("four taps").reshape([groups, co, bsz, h, 1, wd, 1]);
            phases.push(phase);
        }
        rows.push(Tensor::cat(phases, 6));
    }
    let out = Tensor::cat(rows, 4).reshape([groups, co, bsz, 2 * h, 2 * wd]);
    let out = out + b.reshape([groups, co, 1, 1, 1]);
    out.permute([2, 0, 1, 3, 4]).reshape([bsz, groups * co, 2 * h, 2 * wd])
}

fn bias(b: &Option<Param<Tensor<1>>>) -> Tensor<1> {
    b.as_ref().expect("actnoise layers always have a bias").val()
}

fn copy_conv(dst: &mut Conv2d, src: &Conv2d, c: usize, classes: usize) {
    let per = src.weight.val().dims()[0] / classes;
    dst.weight = Param::from_tensor(src.weight.val().narrow(0, c * per, per));
    dst.bias = Some(Param::from_tensor(bias(&src.bias).narrow(0, c * per, per)));
}

fn copy_conv_t(dst: &mut ConvTranspose2d, src: &ConvTranspose2d, c: usize, classes: usize) {
    let per_in = src.weight.val().dims()[0] / classes;
    let per_out = bias(&src.bias).dims()[0] / classes;
    dst.weight = Param::from_tensor(src.weight.val().narrow(0, c * per_in, per_in));
    dst.bias = Some(Param::from_tensor(bias(&src.bias).narrow(0, c * per_out, per_out)));
}

#[cfg(test)]
mod tests {
    use burn::tensor::Distribution;

    use super::*;

    fn max_diff(a: Tensor<4>, b: Tensor<4>) -> f32 {
        (a - b).abs().max().into_scalar()
    }

    #[test]
    fn conv_paths_agree_on_grouped_and_shared_passes() {
        let device = Device::flex();
        device.seed(3);
        let cfg = AutoencoderConfig::default();
        let bank = cfg.init_bank(3, &device).unwrap();
        let off = NoisePlan::off(6);
        let x = Tensor::<4>::random([5, 9, 32, 32], Distribution::Uniform(0.0, 1.0), &device);
        let burn = bank.clone().with_conv_path(ConvPath::Burn);
        let src = &mut NoiseSource::Device;
        let x1 = x.clone().narrow(1, 0, 3);
        for path in [ConvPath::Matmul, ConvPath::PerClass] {
            let fast = bank.clone().with_conv_path(path);
            let a = burn.forward_grouped(x.clone(), &off, src).unwrap();
            let b = fast.forward_grouped(x.clone(), &off, src).unwrap();
            assert!(max_diff(a, b) < 1e-5, "{path:?}");
            let a = burn.forward_shared(x1.clone(), &off, src, DrawSharing::Independent).unwrap();
            let b = fast.forward_shared(x1.clone(), &off, src, DrawSharing::Independent).unwrap();
            assert!(max_diff(a, b) < 1e-5, "{path:?}");
        }
    }
}
