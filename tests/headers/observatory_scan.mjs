// Mozilla's HTTP Observatory, run offline against a site on loopback ports.
//
// The package's own CLI scans ports 80 and 443 only (its `scan` does not pass options
// on to the retriever), so this does what its `scan` does (src/scanner/index.js, MPL-2.0)
// with the ports given: the same retrieval, the same tests, the same grading.
//
// usage: node observatory_scan.mjs <host> <http-port> <https-port> [path]
// Trust for a self-signed certificate comes from NODE_EXTRA_CA_CERTS, so the HSTS and
// redirection tests see a verified connection, as they would on a real certificate.
import { MINIMUM_SCORE_FOR_EXTRA_CREDIT } from "@mdn/mdn-http-observatory/src/grader/charts.js";
import {
  getGradeForScore,
  getScoreModifier,
} from "@mdn/mdn-http-observatory/src/grader/grader.js";
import { retrieve } from "@mdn/mdn-http-observatory/src/retriever/retriever.js";
import { ALL_TESTS } from "@mdn/mdn-http-observatory/src/constants.js";

const [host, httpPort, httpsPort, path = "/"] = process.argv.slice(2);
if (!host || !httpPort || !httpsPort) {
  console.error("usage: node observatory_scan.mjs <host> <http-port> <https-port> [path]");
  process.exit(2);
}

const r = await retrieve(host, { httpPort, httpsPort, path });
if (!r.responses.auto) {
  console.log(JSON.stringify({ error: "The site seems to be down." }));
  process.exit(1);
}
const results = ALL_TESTS.map((test) => test(r));
let scoreWithExtraCredit = 100;
let uncurvedScore = 100;
const tests = {};
for (const result of results) {
  const modifier = result.result ? getScoreModifier(result.result) : 0;
  scoreWithExtraCredit += modifier;
  if (modifier < 0) uncurvedScore += modifier;
  tests[result.constructor.name] = {
    result: result.result,
    pass: result.pass,
    scoreModifier: modifier,
  };
}
const score =
  uncurvedScore >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? scoreWithExtraCredit : uncurvedScore;
const final = getGradeForScore(score);
console.log(
  JSON.stringify(
    {
      scan: {
        grade: final.grade,
        score: final.score,
        statusCode: r.responses.auto.status,
        verified: Boolean(r.responses.auto.verified),
      },
      tests,
    },
    null,
    2,
  ),
);
