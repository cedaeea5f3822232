/**
 * Bessel function of the first kind, order zero, J0(x): the autocorrelation of Clarke/Jakes
 * isotropic scattering at lag 2π f_D τ, used as the Gauss–Markov fading correlation.
 *
 * Rational approximations of Numerical Recipes (bessj0): |x| < 8 by a ratio of polynomials,
 * otherwise the asymptotic form with P0/Q0 corrections. Absolute error below 1e-8.
 */
export function besselJ0(x: number): number {
  const ax = Math.abs(x);
  if (ax < 8.0) {
    const y = x * x;
    const num =
      57568490574.0 +
      y * (-13362590354.0 + y * (651619640.7 + y * (-11214424.18 + y * (77392.33017 + y * -184.9052456))));
    const den = 57568490411.0 + y * (1029532985.0 + y * (9494680.718 + y * (59272.64853 + y * (267.8532712 + y))));
    return num / den;
  }
  const z = 8.0 / ax;
  const y = z * z;
  const xx = ax - 0.785398164;
  const p = 1.0 + y * (-0.1098628627e-2 + y * (0.2734510407e-4 + y * (-0.2073370639e-5 + y * 0.2093887211e-6)));
  const q = -0.1562499995e-1 + y * (0.1430488765e-3 + y * (-0.6911147651e-5 + y * (0.7621095161e-6 - y * 0.934935152e-7)));
  return Math.sqrt(0.636619772 / ax) * (Math.cos(xx) * p - z * Math.sin(xx) * q);
}
