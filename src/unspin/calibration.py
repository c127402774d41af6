"""Numbers fitted on data, with the command that fitted them.

Detection thresholds and the document-score model come from bench/detect_bench.py on
../shared/data/news (spun copies against their originals, a calibration split apart
from the evaluation split). Re-fit with `make bench-detect`, which prints this block.
"""

# Minimum LM surprisal (nats) for a single content word to become a suspect.
MIN_SURPRISAL = 6.0
# At most this share of a document's content words are re-scored with candidates.
MAX_SUSPECT_SHARE = 0.35
# Share of the unigram log-frequency difference removed from a candidate's gain (1 would
# be pointwise mutual information; 0 the raw language-model preference).
FREQ_DISCOUNT = 0.5
# Logistic model of P(substituted) for one suspect over detect.word_features(), and the
# probability from which a suspect is flagged.
WORD_BIAS = -4.0
WORD_WEIGHTS: dict[str, float] = {
    "surprisal": 0.2,
    "best_adjusted_gain": 0.3,
    "best_gain": 0.0,
    "zipf_written": -0.3,
    "zipf_best": 0.2,
    "phrase": 0.0,
}
MIN_WORD_PROB = 0.5
# Logistic model of P(spun) over detect.features().
SCORE_BIAS = -3.0
SCORE_WEIGHTS: dict[str, float] = {
    "flag_rate": 20.0,
    "gain_sum_rate": 2.0,
    "suspect_rate": 0.0,
    "mean_top_adjusted": 0.0,
    "mean_suspect_surprisal": 0.0,
}
# Documents whose spin score reaches this are called spun.
SPUN_THRESHOLD = 0.5
