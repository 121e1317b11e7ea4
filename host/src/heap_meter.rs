//! How many bytes of heap a model holds, measured rather than guessed: the server's
//! global allocator counts, on the thread that asks and only while it asks, every byte it
//! hands out and takes back. What a model file's parse leaves allocated when it returns is
//! the model (its arrays, names, trees); the parse's own scratch (the JSON text's tree,
//! buffers) was freed inside and nets out. This is `host_model_bytes` and what
//! `--max-model-bytes` limits.
//!
//! The count is of the sizes asked for (`Layout::size`), not of the allocator's rounding,
//! so the same file always measures the same. Outside a measurement the cost per
//! allocation is one thread-local read.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;

thread_local! {
    /// Bytes allocated minus bytes freed on this thread since `retained_by` began, or
    /// `None` when no measurement runs here.
    static NET: Cell<Option<isize>> = const { Cell::new(None) };
}

/// A global allocator over `A` that can meter one thread's allocations.
pub struct Metered<A>(pub A);

fn count(delta: isize) {
    // try_with: a thread being torn down has no thread-locals left; nothing to count.
    let _ = NET.try_with(|net| {
        if let Some(sum) = net.get() {
            net.set(Some(sum.saturating_add(delta)));
        }
    });
}

// SAFETY: every call is forwarded to `A` unchanged; the counting only reads and writes a
// `Cell` of this thread, which allocates nothing.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Metered<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { self.0.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { self.0.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { self.0.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { self.0.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// Runs `f` and answers what it returned with the bytes it left allocated on this thread
/// (0 where the process's allocator is not `Metered`, as in unit tests). `f` must not
/// hand allocations to other threads or free ones made before it; a model parse does
/// neither.
pub fn retained_by<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let outer = NET.with(|net| net.replace(Some(0)));
    let value = f();
    let net = NET.with(|net| net.replace(outer)).unwrap_or(0);
    (value, u64::try_from(net).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_counted_without_the_metered_allocator() {
        // The test binary's allocator is the system's: the count stays 0.
        let (v, bytes) = retained_by(|| vec![0u8; 4096]);
        assert_eq!(v.len(), 4096);
        assert_eq!(bytes, 0);
    }

    #[test]
    fn the_metered_allocator_counts_what_stays_allocated() {
        let meter = Metered(std::alloc::System);
        let before = NET.with(|net| net.replace(Some(0)));
        let layout = Layout::from_size_align(1000, 8).unwrap();
        let kept = unsafe { meter.alloc(layout) };
        let scratch = unsafe { meter.alloc(layout) };
        unsafe { meter.dealloc(scratch, layout) };
        let grown = unsafe { meter.realloc(kept, layout, 3000) };
        assert_eq!(NET.with(|net| net.get()), Some(3000));
        unsafe { meter.dealloc(grown, Layout::from_size_align(3000, 8).unwrap()) };
        assert_eq!(NET.with(|net| net.replace(before)), Some(0));
    }
}
