package quant

import (
	"sort"
	"strings"
)

// Sums is Totals, ByDType and Schemes of one classification, added up in
// one walk over the rows: a report that shows all three reads the ~92,000
// rows of a large checkpoint once instead of three times.
type Sums struct {
	// Totals is what Result.Totals returns.
	Totals Totals
	// StoredBytes is the stored bytes of every tensor, all kinds.
	StoredBytes uint64
	// DTypes is what Result.ByDType returns.
	DTypes []DTypeTotal
	// Schemes is what Result.Schemes returns.
	Schemes []SchemeTotal
	// Examples holds, beside each of Schemes, the index in Result.Tensors
	// of the scheme's first parameter with a Packing (-1 when none): the
	// tensor a report shows to illustrate how the scheme packs values.
	Examples []int
}

// Sums returns the sums of r's rows. Classify adds them up in the walk it
// makes anyway (on two cores for large checkpoints), so they describe the
// rows as Classify left them; for a Result built by hand they are added up
// on the first call.
func (r *Result) Sums() *Sums {
	if r.sums == nil {
		var w rowSums
		w.addRows(r.Tensors, 0, len(r.Tensors))
		r.sums = w.finish(r)
	}
	return r.sums
}

// rowSums is what Sums adds up over a run of rows; two runs merge in
// order. Checkpoints use a handful of dtypes and schemes, so short slices
// searched from the last row used beat maps.
type rowSums struct {
	tot     Totals
	bytes   uint64
	dtypes  []DTypeTotal
	lastD   int
	schemes []SchemeTotal
	// exNames and exRows are, per scheme ("" for none), the first
	// parameter with a Packing.
	exNames     []string
	exRows      []int
	lastS       int
	lastSName   string
	lastSExists bool
}

// dtype returns the row of t's dtype, adding it when new.
func (w *rowSums) dtype(t *Tensor) *DTypeTotal {
	if w.lastD < len(w.dtypes) && w.dtypes[w.lastD].DType == t.DType {
		return &w.dtypes[w.lastD]
	}
	for k := range w.dtypes {
		if w.dtypes[k].DType == t.DType {
			w.lastD = k
			return &w.dtypes[k]
		}
	}
	w.dtypes = append(w.dtypes, DTypeTotal{DType: t.DType})
	w.lastD = len(w.dtypes) - 1
	return &w.dtypes[w.lastD]
}

// scheme returns the index of the row of scheme name ("" is "none"),
// adding it when new.
func (w *rowSums) scheme(name string) int {
	if w.lastSExists && name == w.lastSName {
		return w.lastS
	}
	key := name
	if key == "" {
		key = "none"
	}
	k := -1
	for j := range w.schemes {
		if w.schemes[j].Scheme == key {
			k = j
			break
		}
	}
	if k < 0 {
		w.schemes = append(w.schemes, SchemeTotal{Scheme: key, Bits: -1})
		k = len(w.schemes) - 1
	}
	w.lastS, w.lastSName, w.lastSExists = k, name, true
	return k
}

// example records row i as scheme's example unless it has one.
func (w *rowSums) example(scheme string, i int) {
	for _, n := range w.exNames {
		if n == scheme {
			return
		}
	}
	w.exNames = append(w.exNames, scheme)
	w.exRows = append(w.exRows, i)
}

// add adds row t, whose index in Result.Tensors is i.
func (w *rowSums) add(t *Tensor, i int) {
	elems, b := t.Elements(), t.Bytes()
	x := &w.tot
	x.StoredElements += elems
	w.bytes += b
	d := w.dtype(t)
	d.Tensors++
	d.StoredElements += elems
	d.Bytes += b
	switch t.Kind {
	case Parameter:
		x.LogicalParams += t.LogicalParams
		x.ParamBytes += b
		d.LogicalParams += t.LogicalParams
		// A tied copy can still illustrate its scheme's packing, but its
		// parameters and bytes are counted once, in the original.
		if t.Packing() != "" {
			w.example(t.Scheme(), i)
		}
		if t.DuplicateOf() != "" {
			x.DuplicateTensors++
			x.DuplicateParams += product(t.LogicalShape)
			return
		}
		s := &w.schemes[w.scheme(t.Scheme())]
		s.Tensors++
		s.LogicalParams += t.LogicalParams
		s.ParamBytes += b
		switch {
		case s.Bits == -1:
			s.Bits = t.Bits()
		case s.Bits != t.Bits():
			s.Bits = 0
		}
	case Side:
		x.SideTensors++
		x.SideElements += elems
		x.SideBytes += b
		d.SideTensors++
		d.SideElements += elems
		s := &w.schemes[w.scheme(t.Scheme())]
		s.SideTensors++
		s.SideBytes += b
	case Buffer:
		x.BufferTensors++
		x.BufferElements += elems
		x.BufferBytes += b
		d.BufferTensors++
		d.BufferElements += elems
	}
}

// addRows adds rows lo to hi-1 of ts.
func (w *rowSums) addRows(ts []Tensor, lo, hi int) {
	for i := lo; i < hi; i++ {
		w.add(&ts[i], i)
	}
}

// merge adds the sums of the rows after w's into w.
func (w *rowSums) merge(o *rowSums) {
	x, y := &w.tot, &o.tot
	x.StoredElements += y.StoredElements
	x.LogicalParams += y.LogicalParams
	x.ParamBytes += y.ParamBytes
	x.SideTensors += y.SideTensors
	x.SideElements += y.SideElements
	x.SideBytes += y.SideBytes
	x.BufferTensors += y.BufferTensors
	x.BufferElements += y.BufferElements
	x.BufferBytes += y.BufferBytes
	x.DuplicateTensors += y.DuplicateTensors
	x.DuplicateParams += y.DuplicateParams
	w.bytes += o.bytes
	for k := range o.dtypes {
		e := &o.dtypes[k]
		j := -1
		for m := range w.dtypes {
			if w.dtypes[m].DType == e.DType {
				j = m
				break
			}
		}
		if j < 0 {
			w.dtypes = append(w.dtypes, *e)
			continue
		}
		d := &w.dtypes[j]
		d.Tensors += e.Tensors
		d.StoredElements += e.StoredElements
		d.Bytes += e.Bytes
		d.LogicalParams += e.LogicalParams
		d.SideTensors += e.SideTensors
		d.SideElements += e.SideElements
		d.BufferTensors += e.BufferTensors
		d.BufferElements += e.BufferElements
	}
	for k := range o.schemes {
		e := &o.schemes[k]
		j := -1
		for m := range w.schemes {
			if w.schemes[m].Scheme == e.Scheme {
				j = m
				break
			}
		}
		if j < 0 {
			w.schemes = append(w.schemes, *e)
			continue
		}
		s := &w.schemes[j]
		s.Tensors += e.Tensors
		s.SideTensors += e.SideTensors
		s.LogicalParams += e.LogicalParams
		s.ParamBytes += e.ParamBytes
		s.SideBytes += e.SideBytes
		switch {
		case s.Bits == -1:
			s.Bits = e.Bits
		case e.Bits != -1 && s.Bits != e.Bits:
			s.Bits = 0
		}
	}
	for k, n := range o.exNames {
		w.example(n, o.exRows[k])
	}
	w.lastSExists = false
}

// finish sorts the rows as ByDType and Schemes do and fills in what
// depends on r's configuration.
func (w *rowSums) finish(r *Result) *Sums {
	out := &Sums{Totals: w.tot, StoredBytes: w.bytes, DTypes: w.dtypes, Schemes: w.schemes}
	if out.DTypes == nil {
		out.DTypes = []DTypeTotal{}
	}
	if out.Schemes == nil {
		out.Schemes = []SchemeTotal{}
	}
	sort.Slice(out.DTypes, func(i, j int) bool {
		a, b := &out.DTypes[i], &out.DTypes[j]
		if a.Bytes != b.Bytes {
			return a.Bytes > b.Bytes
		}
		return a.DType < b.DType
	})
	for k := range out.Schemes {
		s := &out.Schemes[k]
		if s.Bits < 0 {
			s.Bits = 0
		}
		s.GroupSize = r.groupSize(s.Scheme)
	}
	sort.Slice(out.Schemes, func(i, j int) bool {
		a, b := &out.Schemes[i], &out.Schemes[j]
		if a.LogicalParams != b.LogicalParams {
			return a.LogicalParams > b.LogicalParams
		}
		return strings.Compare(a.Scheme, b.Scheme) < 0
	})
	out.Examples = make([]int, len(out.Schemes))
	for k := range out.Schemes {
		out.Examples[k] = -1
		name := out.Schemes[k].Scheme
		if name == "none" {
			name = ""
		}
		for e, n := range w.exNames {
			if n == name {
				out.Examples[k] = w.exRows[e]
			}
		}
	}
	return out
}
