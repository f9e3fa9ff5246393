package retrieval

import (
	"cmp"
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

func (s *sparse) idf(t string) float32 {
	return float32(math.Log(1 + float64(s.N+1)/float64(s.DF[t]+1)))
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

// search ranks documents sharing a term with the query by cosine.
func (s *sparse) search(query string, n int) ([]Result, error) {
	tf := weigh([]Field{{Text: query, Weight: 1}})
	if len(tf) == 0 {
		return nil, ErrNoTerms
	}
	scores := make([]float32, len(s.IDs))
	var touched []int32
	var qnorm float64
	for t, w := range tf {
		if s.DF[t] == 0 {
			continue
		}
		q := tfidf(w, s.idf(t))
		qnorm += float64(q) * float64(q)
		for _, p := range s.Post[t] {
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
		scores[d] /= qn * s.Norm[d]
	}
	slices.SortFunc(touched, func(a, b int32) int {
		if c := cmp.Compare(scores[b], scores[a]); c != 0 {
			return c
		}
		return cmp.Compare(s.IDs[a], s.IDs[b])
	})
	if len(touched) > n {
		touched = touched[:n]
	}
	out := make([]Result, len(touched))
	for i, d := range touched {
		out[i] = Result{Kind: KindFunctions, ID: s.IDs[d], Content: s.Content[d], Score: scores[d]}
	}
	return out, nil
}
