package reader

import (
	"cmp"
	"math/bits"
	"slices"
)

// checkLayout applies the reference's Metadata::validate to a parsed
// header: each tensor's shape times its dtype's bit size must be a whole
// number of bytes equal to its data_offsets span (overflow-checked in
// elements and in bits), and the tensors, taken in offset order, must tile
// the data section from byte 0 with no hole and no overlap. dataAvail is
// the number of bytes after the header; it must equal what the tensors
// cover, except for a header-only stub (dataAvail == 0), which sets
// h.Stub.
func checkLayout(h *Header, dataAvail uint64, locs *tensorLocator) *Error {
	ts := h.Tensors
	errAt := func(i int, format string, args ...any) *Error {
		return errorf(ErrMalformed, h.File, prefixLen+int64(locs.at(i)), ts[i].Name, format, args...)
	}
	sorted := true
	for i := range ts {
		t := &ts[i]
		elems := uint64(1)
		for _, d := range t.Shape {
			hi, lo := bits.Mul64(elems, d)
			if hi != 0 {
				return errAt(i, "shape %v has more than 2^64 elements", t.Shape)
			}
			elems = lo
		}
		hi, nbits := bits.Mul64(elems, dtypeBitSize(t.DType))
		if hi != 0 {
			return errAt(i, "shape %v of %s is more than 2^64 bits", t.Shape, t.DType)
		}
		// Sub-byte dtypes (F4, F6_*) must fill whole bytes (the reference's
		// MisalignedSlice).
		if nbits%8 != 0 {
			return errAt(i, "shape %v of %s is %d elements = %d bits, not a whole number of bytes", t.Shape, t.DType, elems, nbits)
		}
		if t.Begin > t.End {
			return errAt(i, "data_offsets [%d %d] are reversed; expected begin <= end", t.Begin, t.End)
		}
		if want := nbits / 8; t.End-t.Begin != want {
			return errAt(i, "data_offsets [%d %d] span %d bytes, but shape %v of %s needs %d", t.Begin, t.End, t.End-t.Begin, t.Shape, t.DType, want)
		}
		if i > 0 && offsetLess(t, &ts[i-1]) {
			sorted = false
		}
	}

	// Tensors may be listed in any JSON order; the layout is checked in
	// offset order (begin, then end, so zero-size tensors come first at a
	// shared offset). Most writers list them sorted already.
	var order []int32
	if !sorted {
		order = make([]int32, len(ts))
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortStableFunc(order, func(a, b int32) int {
			if c := cmp.Compare(ts[a].Begin, ts[b].Begin); c != 0 {
				return c
			}
			return cmp.Compare(ts[a].End, ts[b].End)
		})
	}
	at := func(k int) int {
		if order == nil {
			return k
		}
		return int(order[k])
	}
	var end uint64
	prev := -1
	for k := range ts {
		i := at(k)
		t := &ts[i]
		switch {
		case t.Begin > end && prev < 0:
			return errAt(i, "data_offsets [%d %d]: the first tensor must start at 0, bytes [0 %d) of the data section belong to no tensor", t.Begin, t.End, t.Begin)
		case t.Begin > end:
			return errAt(i, "data_offsets [%d %d] leave a hole: bytes [%d %d) after %q belong to no tensor", t.Begin, t.End, end, t.Begin, ts[prev].Name)
		case t.Begin < end:
			p := &ts[prev]
			if p.Begin == t.Begin && p.End == t.End {
				return errAt(i, "data_offsets [%d %d] are the same bytes as %q", t.Begin, t.End, p.Name)
			}
			return errAt(i, "data_offsets [%d %d] overlap %q at [%d %d]", t.Begin, t.End, p.Name, p.Begin, p.End)
		}
		prev = i
		end = t.End
	}
	h.DataLen = end

	dataStart := prefixLen + int64(h.HeaderLen)
	switch {
	case dataAvail == end:
	case dataAvail == 0:
		// A header-only stub: the file ends right after its header.
		h.Stub = true
	case dataAvail > end:
		return errorf(ErrMalformed, h.File, dataStart+int64(end), "", "%d bytes after the last tensor: the data section is %d bytes but the tensors cover %d", dataAvail-end, dataAvail, end)
	default:
		return errorf(ErrMalformed, h.File, dataStart+int64(dataAvail), "", "file is truncated: the tensors need %d bytes of data, only %d are present, %d bytes missing", end, dataAvail, end-dataAvail)
	}
	return nil
}

// offsetLess orders tensors by data_offsets.
func offsetLess(a, b *Tensor) bool {
	return a.Begin < b.Begin || (a.Begin == b.Begin && a.End < b.End)
}
