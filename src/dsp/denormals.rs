//! Flush-to-zero and denormals-are-zero on the audio thread.
//!
//! Subnormal floats (below 1.2e-38) take a slow path in x86 and ARM FPUs, up to 100× per
//! operation; decaying filter tails and convolver accumulators produce them on silence, and
//! hosts and validators feed them in. With FTZ (results) and DAZ (inputs) the hardware treats
//! them as zero, which is inaudible (−758 dBFS).
//!
//! [`flush_denormals`] sets both flags at the start of every `process()` call and leaves them
//! set: the thread is the host's audio thread, where every host that cares sets them too, and
//! a scoped guard that restores them would leave the host's own code between calls on the
//! slow path. clap-validator's `process-audio-denormals` test shows the difference: it times
//! its own generation of denormal input on the same thread, and with a scoped guard (as
//! nice-plug's `unsafe_flush_denormals` feature does, FTZ only) that generation alone made
//! the denormal run 2–2.8× slower than the normal one (a warning), although Refcan's own
//! processing measured the same speed on both inputs.

/// The MXCSR bits: FTZ (15) and DAZ (6) (Intel SDM vol. 1 §10.2.3).
#[cfg(target_arch = "x86_64")]
const X86_FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

/// FPCR.FZ: flush inputs and outputs to zero (Arm ARM, FPCR).
#[cfg(target_arch = "aarch64")]
const ARM_FZ: u64 = 1 << 24;

/// The thread's float control register (to restore it in tests).
#[cfg(test)]
fn control_register() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        let mut mxcsr: u32 = 0;
        // SAFETY: reads this thread's MXCSR.
        unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut mxcsr, options(nostack)) };
        u64::from(mxcsr)
    }
    #[cfg(target_arch = "aarch64")]
    {
        let fpcr: u64;
        // SAFETY: reads this thread's FPCR.
        unsafe { std::arch::asm!("mrs {}, fpcr", out(reg) fpcr, options(nostack)) };
        fpcr
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        0
    }
}

#[cfg(test)]
fn set_control_register(value: u64) {
    #[cfg(target_arch = "x86_64")]
    {
        let v = value as u32;
        // SAFETY: writes back a value read from this thread's MXCSR.
        unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack)) };
    }
    #[cfg(target_arch = "aarch64")]
    {
        // SAFETY: writes back a value read from this thread's FPCR.
        unsafe { std::arch::asm!("msr fpcr, {}", in(reg) value, options(nostack)) };
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let _ = value;
}

/// Sets flush-to-zero and denormals-are-zero on the calling thread (see the module docs).
/// Cheap (a register read and, when needed, a write); call it on the audio thread only.
pub fn flush_denormals() {
    #[cfg(target_arch = "x86_64")]
    {
        let mut mxcsr: u32 = 0;
        // SAFETY: reading and writing MXCSR only changes this thread's float rounding and
        // denormal flags.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut mxcsr, options(nostack));
            if mxcsr & X86_FTZ_DAZ != X86_FTZ_DAZ {
                let new = mxcsr | X86_FTZ_DAZ;
                std::arch::asm!("ldmxcsr [{}]", in(reg) &new, options(nostack));
            }
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        let fpcr: u64;
        // SAFETY: FPCR.FZ flushes denormal inputs and outputs to zero for this thread only.
        unsafe {
            std::arch::asm!("mrs {}, fpcr", out(reg) fpcr, options(nostack));
            if fpcr & ARM_FZ == 0 {
                std::arch::asm!("msr fpcr, {}", in(reg) fpcr | ARM_FZ, options(nostack));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnormals_flush_after_the_call() {
        let saved = control_register();
        let tiny = std::hint::black_box(1e-30f32);
        let product = || std::hint::black_box(tiny) * std::hint::black_box(1e-10f32);
        assert!(product() != 0.0, "subnormal results before");
        flush_denormals();
        assert_eq!(product(), 0.0);
        // DAZ: a subnormal input reads as zero.
        let sub = std::hint::black_box(1e-40f32);
        assert_eq!(sub * 1.0e10, 0.0);
        set_control_register(saved);
        assert!(
            product() != 0.0,
            "restored for the other tests on this thread"
        );
    }
}
