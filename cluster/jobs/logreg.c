/* logreg: trains a logistic regression on the CSV given as stdin and prints its weights.
 * Input: a header line, then rows "x1,x2,...,label" with label 0 or 1 (at most 8 features,
 * 4096 rows). Batch gradient descent, fixed learning rate and epoch count, so the result
 * is a pure function of the input. Features are standardized (mean 0, variance 1) for
 * training; the weights printed are mapped back to the original units, in decimal and as
 * IEEE-754 bits. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FEATURES_MAX 8
#define ROWS_MAX 4096
#define INPUT_BYTES_MAX (1 << 20)
#define EPOCHS 300
#define LEARNING_RATE 0.5

static char input[INPUT_BYTES_MAX + 1];
static double xs[ROWS_MAX][FEATURES_MAX];
static double ys[ROWS_MAX];

static size_t read_all(void) {
    size_t used = 0;
    ssize_t n;
    while (used < INPUT_BYTES_MAX && (n = read(0, input + used, INPUT_BYTES_MAX - used)) > 0) used += (size_t)n;
    input[used] = 0;
    return used;
}

static double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

int main(void) {
    read_all();
    char *line = strchr(input, '\n'); /* skip the header */
    if (line == NULL) { fprintf(stderr, "logreg: no rows\n"); return 2; }
    int rows = 0, features = -1;
    for (line++; *line && rows < ROWS_MAX;) {
        char *end = strchr(line, '\n');
        if (end) *end = 0;
        double values[FEATURES_MAX + 1];
        int count = 0;
        char *p = line;
        while (*p && count <= FEATURES_MAX) {
            values[count++] = strtod(p, &p);
            if (*p == ',') p++; else break;
        }
        if (count >= 2) {
            if (features < 0) features = count - 1;
            if (count - 1 == features) {
                memcpy(xs[rows], values, sizeof(double) * (size_t)features);
                ys[rows] = values[features];
                rows++;
            }
        }
        if (!end) break;
        line = end + 1;
    }
    if (rows == 0 || features <= 0) { fprintf(stderr, "logreg: no usable rows\n"); return 2; }

    double mean[FEATURES_MAX] = {0}, scale[FEATURES_MAX];
    for (int f = 0; f < features; f++) {
        for (int r = 0; r < rows; r++) mean[f] += xs[r][f];
        mean[f] /= rows;
        double var = 0;
        for (int r = 0; r < rows; r++) var += (xs[r][f] - mean[f]) * (xs[r][f] - mean[f]);
        scale[f] = var > 0 ? sqrt(var / rows) : 1;
        for (int r = 0; r < rows; r++) xs[r][f] = (xs[r][f] - mean[f]) / scale[f];
    }

    double w[FEATURES_MAX + 1] = {0}; /* w[features] is the bias */
    for (int epoch = 0; epoch < EPOCHS; epoch++) {
        double grad[FEATURES_MAX + 1] = {0};
        for (int r = 0; r < rows; r++) {
            double z = w[features];
            for (int f = 0; f < features; f++) z += w[f] * xs[r][f];
            double err = sigmoid(z) - ys[r];
            for (int f = 0; f < features; f++) grad[f] += err * xs[r][f];
            grad[features] += err;
        }
        for (int f = 0; f <= features; f++) w[f] -= LEARNING_RATE * grad[f] / rows;
    }
    int correct = 0;
    double loss = 0;
    for (int r = 0; r < rows; r++) {
        double z = w[features];
        for (int f = 0; f < features; f++) z += w[f] * xs[r][f];
        double p = sigmoid(z);
        correct += (p >= 0.5) == (ys[r] >= 0.5);
        loss -= ys[r] * log(p + 1e-12) + (1 - ys[r]) * log(1 - p + 1e-12);
    }
    /* Back to original units: w'x + b over standardized x equals (w/scale)'x + (b - sum w*mean/scale). */
    for (int f = 0; f < features; f++) {
        w[f] /= scale[f];
        w[features] -= w[f] * mean[f];
    }
    for (int f = 0; f <= features; f++) {
        uint64_t bits;
        memcpy(&bits, &w[f], sizeof bits);
        if (f < features) printf("w%d %.12f 0x%016llx\n", f, w[f], (unsigned long long)bits);
        else printf("bias %.12f 0x%016llx\n", w[f], (unsigned long long)bits);
    }
    printf("rows %d\naccuracy %d/%d\nloss %.12f\n", rows, correct, rows, loss / rows);
    fprintf(stderr, "logreg: %d rows, %d features, %d epochs\n", rows, features, EPOCHS);
    return 0;
}
