package retrieval

import (
	"cmp"
	"maps"
	"math"
	"slices"
)

// sparse is the index of the kernel's functions (56k names): an inverted
// index of the same terms as the local embedding, scored by exact tf-idf
// cosine. Vectors do not suit this collection: chromem-go's exhaustive
// scan of 56k vectors takes about 35 ms on two cores, and feature hashing
// at a size that loads in time lets the many rare name parts collide
// (vfs_read lost to event_file_put for "vfs read").
type sparse struct {
	N       int
	DF      map[string]int32
	IDs     []string
	Content []string
	Norm    []float32
	Post    map[string][]posting
}

type posting struct {
	Doc int32
	W   float32 // the term's tf-idf weight in the document
}

func (s *sparse) idf(t string) float32 { return idf(s.N, s.DF[t]) }

// idf weighs a term of df documents out of n: rarer terms weigh more.
func idf(n int, df int32) float32 {
	return float32(math.Log(1 + float64(n+1)/float64(df+1)))
}

func tfidf(w, idf float32) float32 {
	return (1 + float32(math.Log(float64(max(w, 1))))) * idf
}

func buildSparse(docs []doc) *sparse {
	s := &sparse{N: len(docs), DF: map[string]int32{}, Post: map[string][]posting{}}
	tfs := make([]map[string]float32, len(docs))
	for i, d := range docs {
		tfs[i] = weigh(d.fields)
		for t := range tfs[i] {
			s.DF[t]++
		}
	}
	s.IDs = make([]string, len(docs))
	s.Content = make([]string, len(docs))
	s.Norm = make([]float32, len(docs))
	for i, d := range docs {
		s.IDs[i], s.Content[i] = d.id, d.content
		var norm float64
		for t, w := range tfs[i] {
			x := tfidf(w, s.idf(t))
			norm += float64(x) * float64(x)
			s.Post[t] = append(s.Post[t], posting{int32(i), x})
		}
		s.Norm[i] = float32(math.Sqrt(norm))
	}
	return s
}

// funcIndex is the functions' index as search reads it: built in memory
// (sparse) or read from the mapped index file (mappedFuncs).
type funcIndex interface {
	docs() int
	// postings appends the postings of t to buf[:0] (none when no
	// document has t).
	postings(t string, buf []posting) ([]posting, error)
	norm(d int32) float32
	cmpID(a, b int32) int
	doc(d int32) (id, content string, err error)
}

func (s *sparse) docs() int { return len(s.IDs) }

func (s *sparse) postings(t string, buf []posting) ([]posting, error) {
	return append(buf[:0], s.Post[t]...), nil
}

func (s *sparse) norm(d int32) float32 { return s.Norm[d] }

func (s *sparse) cmpID(a, b int32) int { return cmp.Compare(s.IDs[a], s.IDs[b]) }

func (s *sparse) doc(d int32) (string, string, error) { return s.IDs[d], s.Content[d], nil }

// searchFuncs ranks documents sharing a term with the query by cosine.
// The query's terms are taken in order, so the sums (and the scores) are
// the same in every run and from either form of the index.
func searchFuncs(ix funcIndex, query string, n int) ([]Result, error) {
	tf := weigh([]Field{{Text: query, Weight: 1}})
	if len(tf) == 0 {
		return nil, ErrNoTerms
	}
	N := ix.docs()
	scores := make([]float32, N)
	var touched []int32
	var qnorm float64
	var post []posting
	for _, t := range slices.Sorted(maps.Keys(tf)) {
		var err error
		if post, err = ix.postings(t, post); err != nil {
			return nil, err
		}
		if len(post) == 0 {
			continue
		}
		// The document frequency is the number of postings.
		q := tfidf(tf[t], idf(N, int32(len(post))))
		qnorm += float64(q) * float64(q)
		for _, p := range post {
			if scores[p.Doc] == 0 {
				touched = append(touched, p.Doc)
			}
			scores[p.Doc] += q * p.W
		}
	}
	if len(touched) == 0 {
		return nil, nil
	}
	qn := float32(math.Sqrt(qnorm))
	for _, d := range touched {
		scores[d] /= qn * ix.norm(d)
	}
	slices.SortFunc(touched, func(a, b int32) int {
		if c := cmp.Compare(scores[b], scores[a]); c != 0 {
			return c
		}
		return ix.cmpID(a, b)
	})
	if len(touched) > n {
		touched = touched[:n]
	}
	out := make([]Result, len(touched))
	for i, d := range touched {
		id, content, err := ix.doc(d)
		if err != nil {
			return nil, err
		}
		out[i] = Result{Kind: KindFunctions, ID: id, Content: content, Score: scores[d]}
	}
	return out, nil
}
