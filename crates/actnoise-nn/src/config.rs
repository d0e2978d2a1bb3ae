use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::{Activation, ClassBank, NnError, Result};

/// The autoencoder's architecture (`[model]` in a config).
///
/// Defaults are the paper's (Section 4.1): encoder channels 30 → 73 → 100, 4×4 kernels,
/// stride 2, padding 1, the decoder mirroring the encoder, 3×32×32 images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AutoencoderConfig {
    /// Output channels of each encoder layer; the decoder mirrors them.
    pub channels: Vec<usize>,
    /// Square kernel size.
    pub kernel: usize,
    /// Stride of every layer.
    pub stride: usize,
    /// Padding of every layer.
    pub padding: usize,
    /// Image channels (3 for RGB, 1 for grey); 0 means "take it from the dataset".
    pub in_channels: usize,
    /// Image height and width.
    pub image_size: usize,
    /// Activation of every layer but the last.
    pub hidden_activation: Activation,
    /// Activation of the output layer.
    pub output_activation: Activation,
}

impl Default for AutoencoderConfig {
    fn default() -> Self {
        Self {
            channels: vec![30, 73, 100],
            kernel: 4,
            stride: 2,
            padding: 1,
            in_channels: 3,
            image_size: 32,
            hidden_activation: Activation::Relu,
            output_activation: Activation::Sigmoid,
        }
    }
}

impl AutoencoderConfig {
    /// Number of layers (encoder + decoder).
    pub fn num_layers(&self) -> usize {
        2 * self.channels.len()
    }

    /// Checks every value; the error names the key.
    pub fn validate(&self) -> Result<()> {
        let bad = |key, value: String, why: &str| {
            Err(NnError::Config { key, value, why: why.to_string() })
        };
        if self.channels.is_empty() || self.channels.contains(&0) {
            return bad(
                "channels",
                format!("{:?}", self.channels),
                "needs at least one layer, each > 0",
            );
        }
        if self.kernel == 0 {
            return bad("kernel", self.kernel.to_string(), "must be > 0");
        }
        if self.stride == 0 {
            return bad("stride", self.stride.to_string(), "must be > 0");
        }
        if self.in_channels == 0 {
            return bad("in_channels", "0".into(), "must be > 0 once the dataset is known");
        }
        // Each encoder layer must map size s to (s + 2p − k)/stride + 1 exactly, and the
        // decoder must map it back.
        let mut size = self.image_size;
        for (i, _) in self.channels.iter().enumerate() {
            let span = size + 2 * self.padding;
            if span < self.kernel || !(span - self.kernel).is_multiple_of(self.stride) {
                return bad(
                    "image_size",
                    self.image_size.to_string(),
                    &format!(
                        "encoder layer {} gets size {size}, which kernel {} / stride {} / padding {} \
                         does not divide evenly; pick an image size the decoder can mirror",
                        i + 1,
                        self.kernel,
                        self.stride,
                        self.padding
                    ),
                );
            }
            size = (span - self.kernel) / self.stride + 1;
        }
        Ok(())
    }

    /// Spatial size after each of the `num_layers()` layers.
    pub fn layer_sizes(&self) -> Vec<usize> {
        let mut sizes = Vec::new();
        let mut size = self.image_size;
        for _ in &self.channels {
            size = (size + 2 * self.padding - self.kernel) / self.stride + 1;
            sizes.push(size);
        }
        for _ in &self.channels {
            size = (size - 1) * self.stride + self.kernel - 2 * self.padding;
            sizes.push(size);
        }
        sizes
    }

    /// Channels after each layer: encoder channels, then the mirror, ending at `in_channels`.
    pub fn layer_channels(&self) -> Vec<usize> {
        let mut out = self.channels.clone();
        for i in (0..self.channels.len()).rev() {
            out.push(if i == 0 { self.in_channels } else { self.channels[i - 1] });
        }
        out
    }

    /// Activation-map shape `[channels, h, w]` of each layer's output, for one class.
    pub fn layer_shapes(&self) -> Vec<[usize; 3]> {
        self.layer_channels().into_iter().zip(self.layer_sizes()).map(|(c, s)| [c, s, s]).collect()
    }

    /// Builds a class bank of `classes` independently initialised autoencoders on `device`.
    ///
    /// The C autoencoders are stored as grouped convolutions (`groups = C`), so one batched
    /// call evaluates all of them. Weights follow Burn's default (Kaiming-uniform) initialiser,
    /// which matches PyTorch's default bound 1/√fan_in for convolutions.
    pub fn init_bank(&self, classes: usize, device: &Device) -> Result<ClassBank> {
        self.validate()?;
        if classes == 0 {
            return Err(NnError::Config {
                key: "classes",
                value: "0".into(),
                why: "a class bank needs at least one class".into(),
            });
        }
        let k = [self.kernel, self.kernel];
        let s = [self.stride, self.stride];
        let p = self.padding;
        let mut enc = Vec::new();
        let mut cin = self.in_channels;
        for &cout in &self.channels {
            enc.push(
                Conv2dConfig::new([classes * cin, classes * cout], k)
                    .with_stride(s)
                    .with_groups(classes)
                    .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
                    .init(device),
            );
            cin = cout;
        }
        let mut dec = Vec::new();
        let chans = self.layer_channels();
        for i in 0..self.channels.len() {
            let cin = chans[self.channels.len() - 1 + i];
            let cout = chans[self.channels.len() + i];
            dec.push(
                ConvTranspose2dConfig::new([classes * cin, classes * cout], k)
                    .with_stride(s)
                    .with_groups(classes)
                    .with_padding([p, p])
                    .init(device),
            );
        }
        Ok(ClassBank::from_layers(enc, dec, classes, self.clone()))
    }
}
