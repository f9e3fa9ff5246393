// Package agent turns a request in words into an eBPF program, following
// Kgent (eBPF '24):
//
//  1. prompter: the most similar verified examples and the target kernel's
//     specs (attach support, tracepoint fields, helper prototypes) from a
//     [Retriever], sized to a token budget;
//  2. synthesis: a [Provider] (any OpenAI-compatible endpoint through
//     go-openai, or none: the offline provider adapts the closest verified
//     example and says it is retrieval, not generation);
//  3. check: static findings (analysis/check), then compile and the real
//     verifier, or bpftrace's own pass (analysis/verify);
//  4. repair: the deterministic fixes the findings carry (rename to the
//     nearest existing attach point, fix a field), then the remaining
//     findings with the failing code back to the model, with a memory of
//     what earlier attempts tried so the model does not repeat a rejected
//     choice; up to N attempts;
//  5. comprehension: the model states what the final program does; words
//     of the request (events, fields, filters) missing from that statement
//     are flagged.
//
// The agent reaches the network only through its Provider. It never runs
// what it generates: verification loads without attaching. API keys never
// appear in its errors, progress messages or results.
package agent
