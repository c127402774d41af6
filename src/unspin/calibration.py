"""Numbers fitted on data, with the command that fitted them.

Detection thresholds and the document-score model come from bench/detect_bench.py on
../shared/data/news (spun copies against their originals, a calibration split apart
from the evaluation split). Fitted with `python bench/detect_bench.py --data ../shared/data
--n 40 --threads 2` (20 calibration articles x 4 versions, MyThes spinner, Debian's
mythes-en-us installed; the hidden-state probe of unspin/probes fitted before it, with
`--fit-probe`); re-fit with `--analyse`, which prints the values as "calibration_block".
"""

# At most this share of a document's content words are re-scored with candidates (those
# whose candidates the first pass prefers most).
MAX_SUSPECT_SHARE = 0.5
# Share of the unigram log-frequency difference removed from a candidate's gain (1 would
# be pointwise mutual information; 0 the raw language-model preference).
FREQ_DISCOUNT = 0.25
# The same discount for ranking a flagged word's suggestions (fitted for restoration),
# and the weight of the candidate ranker's log-odds beside the gain there.
RANK_DISCOUNT = 0.25
RANK_PRIOR = 1.25
# Which spans are re-scored: a logistic model over detect.selection_features(), fitted
# with the candidate ranker (`--fit-ranker`).
SELECT_WEIGHTS: dict[str, float] = {
    "pre_gain": 0.0653,
    "own": -0.0629,
    "surprisal": 0.1041,
    "zipf_written": -0.2469,
    "phrase": 0.6087,
    "candidates": 0.3467,
    "ranker_top": 0.2168,
    "ranker_top_share": 0.7245,
    "probe": 0.6494,
}
# Candidate ranker: conditional logit over detect.candidate_features(), choosing which of
# a span's lexicon candidates the LM re-scores. Fitted with `python bench/detect_bench.py
# --data ../shared/data --fit-ranker` on articles the detection benchmark does not use.
CANDIDATE_WEIGHTS: dict[str, float] = {
    "first_token": 0.6858,
    "tokens": -1.8029,
    "first_token_multi": 0.0222,
    "prior": 0.282,
    "similarity": 1.5836,
    "zipf": 0.0431,
    "lexicon_rank": -0.1716,
    "thesaurus": 2.4558,
    "glove": 0.2846,
    "composed": -2.762,
    "phrase": -2.1094,
}
# First stage: logistic model of P(substituted) for one suspect over
# detect.word_features().
WORD_BIAS = -2.7201
WORD_WEIGHTS: dict[str, float] = {
    "surprisal": 0.0243,
    "best_adjusted_gain": 0.0813,
    "best_gain": 0.0713,
    "zipf_written": 0.1589,
    "zipf_best": 0.2453,
    "phrase": 0.2537,
    "pre_gain": 0.1221,
    "prior_best": -0.6565,
    "second_gain": 0.0338,
    "rank_best": 0.1091,
    "probe": 0.8051,
}
# Second stage: the same features plus "doc_logit", the log-odds of the document's mean
# first-stage probability; and the probability from which a suspect is flagged.
STACK_BIAS = -2.1429
STACK_WEIGHTS: dict[str, float] = {
    "surprisal": 0.0186,
    "best_adjusted_gain": 0.0799,
    "best_gain": 0.0701,
    "zipf_written": 0.1532,
    "zipf_best": 0.2303,
    "phrase": 0.236,
    "pre_gain": 0.1128,
    "prior_best": -0.6483,
    "second_gain": 0.0254,
    "rank_best": 0.1224,
    "probe": 0.6439,
    "doc_logit": 0.9785,
}
MIN_WORD_PROB = 0.39
# Logistic model of P(spun) over detect.features().
SCORE_BIAS = -5.8817
SCORE_WEIGHTS: dict[str, float] = {
    "doc_prior": 4.3148,
    "top_mean": 8.6138,
    "prob_sum_rate": 8.2596,
    "strong_rate": 7.6826,
}
# Documents whose spin score reaches this are called spun.
SPUN_THRESHOLD = 0.5
