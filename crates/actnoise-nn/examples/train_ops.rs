//! Where one training step's time goes, op by op, on flex: for each layer of the paper's
//! autoencoder at the training shapes (batch 256, `classes` autoencoders grouped), the forward
//! convolution, the gradient to its input and the gradient to its weight, each timed alone
//! (median of `reps` after a warm-up). `benches/torch_train_ops.py` times the same ops in
//! PyTorch, so the two tables can be read side by side.
//!
//! `cargo run --release -p actnoise-nn --example train_ops -- [classes] [reps] [batch]`
#![allow(missing_docs)]

use std::time::Instant;

use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Distribution, Tensor};

fn median_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("a number")).collect();
    let classes = args.first().copied().unwrap_or(10);
    let reps = args.get(1).copied().unwrap_or(5);
    let batch = args.get(2).copied().unwrap_or(256);
    let plain = Device::flex();
    plain.seed(0);
    // (transposed, c_in, c_out, input size) of the paper's 6 layers.
    let layers = [
        (false, 3, 30, 32),
        (false, 30, 73, 16),
        (false, 73, 100, 8),
        (true, 100, 73, 4),
        (true, 73, 30, 8),
        (true, 30, 3, 16),
    ];
    println!("flex, {classes} autoencoder(s) grouped, batch {batch}; ms, median of {reps}");
    println!("{:<28} {:>9} {:>9} {:>9}", "layer", "forward", "grad x", "grad w");
    let mut total = [0.0; 3];
    for (l, &(t, ci, co, s)) in layers.iter().enumerate() {
        let (ci, co) = (ci * classes, co * classes);
        let u = Distribution::Uniform(-0.1, 0.1);
        let x = Tensor::<4>::random([batch, ci, s, s], u, &plain);
        let so = if t { 2 * s } else { s / 2 };
        let g = Tensor::<4>::random([batch, co, so, so], u, &plain);
        let w = if t {
            Tensor::<4>::random([ci, co / classes, 4, 4], u, &plain)
        } else {
            Tensor::<4>::random([co, ci / classes, 4, 4], u, &plain)
        };
        let b = Tensor::<1>::random([co], u, &plain);
        let run = |x: Tensor<4>, w: Tensor<4>, b: Tensor<1>| {
            if t {
                conv_transpose2d(
                    x,
                    w,
                    Some(b),
                    ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], classes),
                )
            } else {
                conv2d(x, w, Some(b), ConvOptions::new([2, 2], [1, 1], [1, 1], classes))
            }
        };
        let fwd = median_ms(reps, || {
            let _ = run(x.clone(), w.clone(), b.clone()).into_data();
        });
        // Gradient to x alone, then to w (and b) alone: the output gradient is `g`.
        let gx = median_ms(reps, || {
            let xa = Tensor::from_inner(x.clone()).require_grad();
            let y = run(xa.clone(), Tensor::from_inner(w.clone()), Tensor::from_inner(b.clone()));
            let grads = (y * Tensor::from_inner(g.clone())).sum().backward();
            let _ = xa.grad(&grads).expect("x is tracked").into_data();
        });
        let gw = median_ms(reps, || {
            let wa = Tensor::from_inner(w.clone()).require_grad();
            let ba = Tensor::from_inner(b.clone()).require_grad();
            let y = run(Tensor::from_inner(x.clone()), wa.clone(), ba.clone());
            let grads = (y * Tensor::from_inner(g.clone())).sum().backward();
            let _ = wa.grad(&grads).expect("w is tracked").into_data();
        });
        let name = format!("{l}: {} {ci}→{co} @{s}", if t { "convT" } else { "conv" });
        println!("{name:<28} {fwd:>9.1} {gx:>9.1} {gw:>9.1}");
        total[0] += fwd;
        total[1] += gx;
        total[2] += gw;
    }
    println!("{:<28} {:>9.1} {:>9.1} {:>9.1}", "sum", total[0], total[1], total[2]);
}
