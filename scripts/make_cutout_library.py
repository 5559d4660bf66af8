#!/usr/bin/python3
"""Builds the example hybrid-mode cutout library (catalogs/hybrid/*.fits, catalogs/hybrid_cutouts.csv,
catalogs/contaminant_cutouts.csv) from the real images in ../shared/data/fits_zoo/.

Usage (numpy + astropy only; fixed seed, so a rerun writes the same pixels):
    /usr/bin/python3 scripts/make_cutout_library.py [--zoo ../shared/data/fits_zoo] [--out catalogs]

Every cutout is Euclid VIS-like (configs/surveys/euclid.yaml): 96x96 pixels at 0.1"/px, e-/s for the
zero point 25.9, PSF a Gaussian of FWHM 0.16", noise of the 4 x 566 s stack. Steps per cutout:
  1. sky: the native image's sky is the median of its sky box(es) (borders or named corners) and is
     subtracted; the native noise is their MAD sigma.
  2. angular rescale: flux-conserving area-overlap rebinning (each output pixel sums the native pixels
     it covers, by covered area) onto a 96x96 grid of `f` native pixels per output pixel, centred on
     the object; pixels beyond the native image are 0 (sky). Lens galaxies: f follows from moving
     the galaxy from its own angular-diameter distance to z_lens (flat LCDM, H0 = 70, Om0 = 0.3).
     Then an optional rotation by k x 90 deg and/or a flip (exact pixel permutations). Objects on
     another galaxy's halo or a plate's uneven sky: a plane fitted to the cutout border is
     subtracted; regions cut out of a larger galaxy: faded to 0 by a cosine taper (M51).
  3. PSF: convolved with a Gaussian of FWHM sqrt(0.16^2 - fwhm_native^2) (fwhm_native: the native
     PSF after the rescale, in arcsec), so the result has the VIS PSF.
  4. flux: scaled so the cutout's sum is the target AB magnitude at zero point 25.9.
  5. noise: the native noise after steps 2-4 is measured by sending a white-noise image of the
     native sigma through the same steps; Gaussian noise of variance
         max(sigma_sky^2 - sigma_native^2, 0) + max(pixel, 0) / t
     is added (sigma_sky: VIS sky + read noise per pixel, below; the second term the Poisson noise of
     the object's own electrons, t = 2264 s). A cutout whose native noise would exceed
     NATIVE_MAX * sigma_sky (per row: 0.5 by default, 0.7-0.9 for the noisier images) is rejected
     or, where the row allows it, scaled fainter until it does not (the catalog comments say which).
VIS sky noise per pixel (the figure tests/sim/test_cutout_library.cpp checks):
  sky per pixel B = 10^(-0.4 (22.3 - 25.9)) * 0.1^2 = 0.2754 e-/s; t = 4 x 566 s = 2264 s;
  sigma_sky = sqrt(B t + 4 * 4.2^2) / t = sqrt(623.5 + 70.6) / 2264 = 0.01164 e-/s per pixel.
"""
import argparse
import os

import numpy as np
from astropy.io import fits

# --- Euclid VIS (configs/surveys/euclid.yaml) --------------------------------------------------------
N = 96                 # pixels per side (even)
PIXSCALE = 0.1         # arcsec/pixel
ZP = 25.9              # AB magnitude of 1 e-/s
FWHM = 0.16            # arcsec, Gaussian PSF
N_EXP, T_EXP = 4, 566.0
T = N_EXP * T_EXP      # 2264 s
SKY_MAG = 22.3         # AB mag / arcsec^2
READ_NOISE = 4.2       # e- per exposure
SKY = 10 ** (-0.4 * (SKY_MAG - ZP)) * PIXSCALE ** 2               # e-/s per pixel
SIGMA_SKY = np.sqrt(SKY * T + N_EXP * READ_NOISE ** 2) / T        # e-/s per pixel
NATIVE_MAX = 0.5       # native noise allowed, in units of SIGMA_SKY
SEED = 20261206

# --- cosmology (flat LCDM as in catalogs/README.md) --------------------------------------------------
H0, OM0, C_KMS = 70.0, 0.3, 299792.458


def comoving_mpc(z):
    zz = np.linspace(0.0, z, 4001)
    ez = np.sqrt(OM0 * (1 + zz) ** 3 + 1 - OM0)
    return C_KMS / H0 * np.trapz(1.0 / ez, zz)


def d_a(z):
    return comoving_mpc(z) / (1 + z)


def dist_mod(z):
    return 5 * np.log10(comoving_mpc(z) * (1 + z) * 1e6 / 10.0)


def fj_sigma_v(mag, z):
    """Faber-Jackson of catalogs/README.md: M = -21 - 10 log10(sigma_v / 220), no k-correction."""
    return 220.0 * 10 ** (-(mag - dist_mod(z) + 21.0) / 10.0)


def fj_mag(sigma_v, z):
    return -21.0 - 10 * np.log10(sigma_v / 220.0) + dist_mod(z)


# --- image operations --------------------------------------------------------------------------------
def overlap_matrix(n_in, centre, f):
    """(N, n_in) matrix: covered fraction of native pixel i (spanning [i-0.5, i+0.5]) by output pixel j
    (spanning centre + (j - N/2) f .. centre + (j - N/2 + 1) f, native pixel units)."""
    lo = centre + (np.arange(N) - N / 2) * f
    hi = lo + f
    i = np.arange(n_in)
    return np.clip(np.minimum(hi[:, None], i[None, :] + 0.5) - np.maximum(lo[:, None], i[None, :] - 0.5), 0, None)


def rebin(img, cx, cy, f):
    """Flux-conserving resample: output pixel = sum of the native flux it covers. (cx, cy): native
    0-based pixel coordinates (x = column) that land on the cutout centre (the corner of the four
    central pixels, which is the lensforge grid origin for an even size)."""
    my = overlap_matrix(img.shape[0], cy, f)
    mx = overlap_matrix(img.shape[1], cx, f)
    return my @ img @ mx.T, my @ np.ones(img.shape) @ mx.T / f ** 2


def orient(img, rot90=0, flip=False):
    out = np.rot90(img, rot90)
    return out[:, ::-1] if flip else out


def gaussian_convolve(img, fwhm_arcsec):
    if fwhm_arcsec <= 0:
        return img
    s = fwhm_arcsec / 2.3548200450309493 / PIXSCALE  # pixels
    m = 2 * N  # zero padding: no wrap-around
    k = np.fft.fftfreq(m)
    g = np.exp(-2 * np.pi ** 2 * s ** 2 * (k[:, None] ** 2 + k[None, :] ** 2))
    pad = np.zeros((m, m))
    o = (m - N) // 2
    pad[o:o + N, o:o + N] = img
    out = np.fft.ifft2(np.fft.fft2(pad) * g).real
    return out[o:o + N, o:o + N]


def taper_disc(img, x0, y0, r_keep, r_out):
    """Multiplies by 1 inside r_keep (pixels, around x0, y0 in cutout pixels), a cosine fall to 0 at r_out."""
    y, x = np.mgrid[:N, :N]
    r = np.hypot(x - x0, y - y0)
    w = np.where(r <= r_keep, 1.0, np.where(r >= r_out, 0.0, 0.5 * (1 + np.cos(np.pi * (r - r_keep) / (r_out - r_keep)))))
    return img * w, w


def mad_sigma(a):
    a = np.asarray(a, float).ravel()
    return 1.4826 * np.median(np.abs(a - np.median(a)))


def border(img, w=4):
    m = np.zeros(img.shape, bool)
    m[:w] = m[-w:] = True
    m[:, :w] = m[:, -w:] = True
    return img[m]


# --- the native images -------------------------------------------------------------------------------
class Native:
    def __init__(self, zoo, file, scale, fwhm, sky_boxes=None, hdu=0):
        self.file = file
        self.data = np.asarray(fits.getdata(os.path.join(zoo, file), hdu), float)
        self.scale = scale  # arcsec/pixel (None: a declared angular rescale, see the rows)
        self.fwhm = fwhm    # arcsec, native PSF (None: declared per row, in native pixels)
        ny, nx = self.data.shape
        if sky_boxes is None:  # 10-pixel border strips
            w = 10
            sky = np.concatenate([self.data[:w].ravel(), self.data[-w:].ravel(), self.data[:, :w].ravel(),
                                  self.data[:, -w:].ravel()])
        else:  # (x0, x1, y0, y1) boxes in native pixels
            sky = np.concatenate([self.data[y0:y1, x0:x1].ravel() for x0, x1, y0, y1 in sky_boxes])
        # 3-sigma clipped median and MAD sigma (stars and halo in the strips)
        for _ in range(5):
            med, sig = np.median(sky), mad_sigma(sky)
            sky = sky[np.abs(sky - med) < 3 * sig]
        self.sky, self.noise = float(np.median(sky)), float(mad_sigma(sky))
        self.data = self.data - self.sky

    def peak(self, x0, y0, r=6):
        """Flux-weighted centroid (native pixels) of the pixels above 2 sigma within r of (x0, y0), iterated."""
        x, y = float(x0), float(y0)
        for _ in range(5):
            xi, yi = int(round(x)), int(round(y))
            sub = self.data[yi - r:yi + r + 1, xi - r:xi + r + 1]
            w = np.clip(sub - 2 * self.noise, 0, None)
            yy, xx = np.mgrid[yi - r:yi + r + 1, xi - r:xi + r + 1]
            x, y = float((w * xx).sum() / w.sum()), float((w * yy).sum() / w.sum())
        return x, y


def process(native, cx, cy, f, fwhm_native_out, rot90=0, flip=False, taper=None, local_sky=False):
    """Steps 2-3 on the native image and on white noise of its sigma; returns (image, noise image).
    local_sky: also subtract the median of the resampled cutout's border (objects on a galaxy halo)."""
    img, cover = rebin(native.data, cx, cy, f)
    if local_sky:  # a plane a + b x + c y fitted to the border (clipped), subtracted
        yy, xx = np.mgrid[:N, :N].astype(float)
        bx, by, bv = border(xx), border(yy), border(img)
        keep = np.ones(bv.shape, bool)
        for _ in range(5):
            a = np.stack([np.ones(keep.sum()), bx[keep], by[keep]], 1)
            coef = np.linalg.lstsq(a, bv[keep], rcond=None)[0]
            res = bv - (coef[0] + coef[1] * bx + coef[2] * by)
            keep = np.abs(res) < 3 * mad_sigma(res[keep])
        img = img - (coef[0] + coef[1] * xx + coef[2] * yy)
    rng = np.random.default_rng(12345)  # only to measure the propagated native noise
    noise, _ = rebin(rng.normal(0.0, native.noise, native.data.shape), cx, cy, f)
    add_fwhm = np.sqrt(max(FWHM ** 2 - fwhm_native_out ** 2, 0.0))
    out = []
    for a in (img, noise):
        a = orient(a, rot90, flip)
        if taper is not None:
            a, _ = taper_disc(a, *taper)
        out.append(gaussian_convolve(a, add_fwhm))
    return out[0], out[1], orient(cover, rot90, flip), add_fwhm


def finish(img, noise_img, cover, mag, rng, allow_fainter, native_max=NATIVE_MAX):
    """Steps 4-5. Returns (pixels e-/s, mag, native sigma after scaling, added sky sigma)."""
    total = img.sum()
    if not total > 0:
        raise SystemExit("cutout has no positive flux")
    k = 10 ** (-0.4 * (mag - ZP)) / total
    # native noise per pixel: white noise sent through the same steps, or, when larger (correlated
    # noise of drizzled images), the MAD of the processed image's border where it covers the image
    sig_native = mad_sigma(noise_img)
    b, bc = border(img), border(cover)
    if (bc > 0.99).sum() > 200:
        sig_native = max(sig_native, mad_sigma(b[bc > 0.99]))
    sig_native *= k
    if sig_native > native_max * SIGMA_SKY:
        if not allow_fainter:
            return None
        k *= native_max * SIGMA_SKY / sig_native
        mag = ZP - 2.5 * np.log10(k * total)
        sig_native = native_max * SIGMA_SKY
    out = img * k
    sky_add = np.sqrt(SIGMA_SKY ** 2 - sig_native ** 2)
    # beyond the native image (cover 0) there is no native noise: add all of the sky noise there
    var = SIGMA_SKY ** 2 - np.clip(cover, 0, 1) * sig_native ** 2 + np.clip(out, 0, None) / T
    out = out + rng.normal(0.0, 1.0, out.shape) * np.sqrt(var)
    return out.astype(np.float32), float(mag), float(sig_native), float(sky_add)


def write_fits(path, pixels, cards, history):
    h = fits.Header()
    h["PIXSCALE"] = (PIXSCALE, "arcsec/pixel")
    h["BUNIT"] = ("electron/s", "e-/s for zero point MAGZP")
    h["MAGZP"] = (ZP, "AB magnitude of 1 e-/s (Euclid VIS)")
    h["PSFFWHM"] = (FWHM, "arcsec FWHM, Gaussian PSF of the cutout")
    h["EXPTIME"] = (T, "s, 4 x 566 s, depth of the noise")
    h["SKYSIG"] = (float("%.5g" % SIGMA_SKY), "e-/s/px, VIS sky + read noise sigma")
    for k, v in cards.items():
        h[k] = v
    for line in history:
        h.add_history(line)
    h.add_history("made by scripts/make_cutout_library.py (lensforge); seed %d" % SEED)
    fits.PrimaryHDU(pixels, header=h).writeto(path, overwrite=True)


def find_stars(native, lo, hi, iso_native, edge):
    """Local maxima of the native image (block-smoothed) with peak in [lo, hi] (native units above
    sky), sorted by position; iso_native: no brighter-than-30% neighbour within this many pixels."""
    d = native.data
    k = 3
    sm = sum(np.roll(np.roll(d, i, 0), j, 1) for i in range(-1, 2) for j in range(-1, 2)) / 9.0
    core = sm[k:-k, k:-k]
    is_max = np.ones(core.shape, bool)
    for i in range(-k, k + 1):
        for j in range(-k, k + 1):
            if i or j:
                is_max &= core >= sm[k + i:sm.shape[0] - k + i, k + j:sm.shape[1] - k + j]
    ys, xs = np.nonzero(is_max & (core > 8 * native.noise))
    ys, xs = ys + k, xs + k
    peaks = sm[ys, xs]
    out = []
    for y, x, p in zip(ys, xs, peaks):
        if not (lo <= p <= hi) or min(x, y, d.shape[1] - 1 - x, d.shape[0] - 1 - y) < edge:
            continue
        near = (np.hypot(xs - x, ys - y) < iso_native) & (peaks > 0.3 * p) & ((xs != x) | (ys != y))
        out.append((int(x), int(y), float(p), int(near.sum())))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--zoo", default=os.path.join(here, "..", "..", "shared", "data", "fits_zoo"),
                    help="folder of the native images (default ../shared/data/fits_zoo beside the repo)")
    ap.add_argument("--out", default=os.path.join(here, "..", "catalogs"), help="catalogs folder")
    args = ap.parse_args()
    zoo, out_dir = args.zoo, args.out
    os.makedirs(os.path.join(out_dir, "hybrid"), exist_ok=True)
    rng = np.random.default_rng(SEED)

    corners40 = [(0, 40, 0, 40), (560, 600, 0, 40), (0, 40, 560, 600), (560, 600, 560, 600)]
    # NGC 2274: the faintest corner is the sky (the elliptical's halo reaches the other borders).
    ngc = Native(zoo, "autogalaxy_NGC2274_HST_data.fits", 0.12825, 0.10, sky_boxes=[corners40[3]])
    ngc_noise_boxes = Native(zoo, "autogalaxy_NGC2274_HST_data.fits", 0.12825, 0.10, sky_boxes=corners40)
    ngc.noise = ngc_noise_boxes.noise  # MAD over all four corners (halo gradients make it an upper bound)
    nolens = Native(zoo, "challenge1_space_nolens_imageEUC_VIS-100004.fits", 0.1, 0.16)
    cosmos = Native(zoo, "galsim_COSMOS_147246_ACS_F814W_masknoise.fits", 0.03, 0.09)
    m51 = Native(zoo, "photutils_M51_Bband_groundCCD.fits", None, None,
                 sky_boxes=[(0, 30, 0, 30), (482, 512, 0, 30), (0, 30, 482, 512), (482, 512, 482, 512)])
    m67 = Native(zoo, "photutils_M67_DSS_plate_starfield.fits.gz", None, None)

    z_ngc = 0.0256  # NGC 2274 (NED), sigma_v ~ 260 km/s (HyperLEDA, rounded)
    lenses, conts = [], []

    def add(rows, name, native, cx, cy, f, fwhm_out, mag, split, z, sigma_v, note, rot90=0, flip=False,
            taper=None, allow_fainter=False, native_max=NATIVE_MAX, local_sky=False):
        img, noise_img, cover, add_fwhm = process(native, cx, cy, f, fwhm_out, rot90, flip, taper, local_sky)
        res = finish(img, noise_img, cover, mag, rng, allow_fainter, native_max)
        if res is None:
            raise SystemExit(f"{name}: native noise above {native_max} x VIS sky noise at mag {mag}")
        pix, mag_out, sig_nat, sky_add = res
        if sigma_v is None:
            sigma_v = fj_sigma_v(mag_out, z)
        cards = {"CUTNAME": name, "SRCIMG": native.file[:68], "SPLIT": split, "CENX": (round(cx, 2), "native 0-based x of the centre"),
                 "CENY": (round(cy, 2), "native 0-based y of the centre"),
                 "NATPXOUT": (round(f, 4), "native pixels per cutout pixel"), "ROT90": rot90, "FLIP": flip,
                 "MAGVIS": (round(mag_out, 3), "AB, sum of the cutout before noise"),
                 "PSFADD": (round(add_fwhm, 4), "arcsec FWHM of the Gaussian convolved"),
                 "NATSIG": (float("%.4g" % sig_nat), "e-/s/px, native noise after processing"),
                 "ADDSIG": (float("%.4g" % sky_add), "e-/s/px, sky noise added (+ shot)"),
                 "ZLENS": (round(z, 3), "nominal lens redshift"), "SIGMAV": (round(float(sigma_v), 1), "km/s")}
        path = os.path.join("hybrid", name + ".fits")
        write_fits(os.path.join(out_dir, path), pix, cards, [note])
        rows.append(dict(name=name, file=path, z=z, sigma_v=sigma_v, split=split, mag=mag_out, note=note,
                         sig_nat=sig_nat, pix=pix))

    # --- lens galaxies: NGC 2274 moved to z_lens -------------------------------------------------------
    ncx, ncy = ngc.peak(298, 299)
    orients = [(0, False), (1, False), (0, True), (2, False), (3, True), (1, True)]
    # z < 0.3 leaves the halo above the sky noise at the cutout border (+1 sigma at z = 0.25): not used
    ngc_train = [0.30, 0.35, 0.40, 0.45]
    ngc_test = [0.50, 0.55, 0.60]
    for split, zs, per_z in (("train", ngc_train, 3), ("test", ngc_test, 2)):
        for iz, z in enumerate(zs):
            for k in range(per_z):
                rot, flip = orients[(iz + k * 2) % len(orients)]
                s = d_a(z) / d_a(z_ngc)
                f = PIXSCALE * s / ngc.scale
                mag = fj_mag(260.0, z)
                name = f"ngc2274_z{int(round(z * 100)):02d}_{'r%d' % (90 * rot)}{'f' if flip else ''}"
                add(lenses, name, ngc, ncx, ncy, f, ngc.fwhm / s, mag, split, z, 260.0,
                    f"NGC 2274 moved from z=0.0256 to z={z} (angular size / {s:.2f}), mag from sigma_v 260 by FJ",
                    rot, flip)
    # --- COSMOS 147246 (redshift unknown: nominal 0.5 as observed; z 0.8 shrinks it by D_A ratio) -----
    ccx, ccy = cosmos.peak(272, 271, 40)
    for z, rot, flip, mag in ((0.5, 0, False, 21.0), (0.5, 1, True, 21.0), (0.8, 2, False, 21.0)):
        s = d_a(z) / d_a(0.5)
        add(lenses, f"cosmos147246_z{int(z * 10):02d}_r{90 * rot}{'f' if flip else ''}", cosmos, ccx, ccy,
            PIXSCALE * s / cosmos.scale, cosmos.fwhm / s, mag, "train", z, None,
            f"COSMOS 147246 (HST F814W; clumpy, not early-type); z nominal ({z}); sigma_v from FJ", rot, flip,
            allow_fainter=True, native_max=0.7)
    # --- Lens Finding Challenge non-lens galaxy (0.1"/px; its simulated noise is above VIS depth at
    # 18-21 mag, so its magnitude is set by NATIVE_MAX = 0.9: 21.9, the faintest rows) --------------
    gcx, gcy = nolens.peak(49, 51, 8)
    for rot, flip in ((0, False), (1, False), (2, True), (3, False)):
        add(lenses, f"challenge100004_r{90 * rot}{'f' if flip else ''}", nolens, gcx, gcy, 1.0, 0.16, 21.0,
            "test", 0.8, None, "Lens Finding Challenge 1 space non-lens 100004, main galaxy; z nominal 0.8; "
            "magnitude limited by its own noise", rot, flip, allow_fainter=True, native_max=0.9)

    # --- contaminants ---------------------------------------------------------------------------------
    # M51 (ground B band, native scale not in the header; seeing ~3.6 native px FWHM): the whole
    # galaxy shrunk to 4-9" (spiral arms around a bulge: ring/arc-like), and the inner arms and single
    # arm segments; regions cut from the galaxy are faded to 0 by a cosine taper (radii in cutout px)
    # so the border is sky, as for an isolated galaxy of that size.
    mcx, mcy = m51.peak(256, 258, 10)
    m51_rows = [  # name, centre, f, taper (r_keep, r_out), rot, flip, split
        ("m51_whole_f6", (mcx, mcy), 6.0, (30, 42), 0, False, "train"),
        ("m51_whole_f10", (mcx, mcy), 10.0, (18, 25), 1, False, "train"),
        ("m51_inner_f3", (mcx, mcy), 3.0, (28, 46), 0, False, "train"),
        ("m51_inner_f4_r90", (mcx, mcy), 4.0, (28, 46), 1, False, "train"),
        ("m51_arm_a_f3", (130, 311), 3.0, (26, 44), 0, False, "train"),
        ("m51_whole_f8", (mcx, mcy), 8.0, (24, 31), 2, True, "test"),
        ("m51_whole_f12", (mcx, mcy), 12.0, (15, 21), 0, True, "test"),
        ("m51_inner_f2", (mcx, mcy), 2.0, (28, 46), 3, False, "test"),
        ("m51_arm_b_f2", (380, 181), 2.0, (26, 44), 0, False, "test"),
    ]
    for name, (x, y), f, (r0, r1), rot, flip, split in m51_rows:
        add(conts, name, m51, x, y, f, 3.6 / f * PIXSCALE, 19.5, split, 0.1, 200.0,
            f"M51 spiral (B band, ground), {f:g} native px per 0.1 px, tapered {r0}-{r1} px", rot, flip,
            taper=(N / 2 - 0.5, N / 2 - 0.5, r0, r1), allow_fainter=True)
    # NGC 2274 field stars (HST PSF with spikes, resampled to 0.1"/px and convolved to the VIS PSF):
    # isolated-star contaminants; stars in the cutout other than the centred one are real too.
    f_hst = PIXSCALE / ngc.scale
    # (the star 8" from NGC 2274's nucleus is left out: its cutout is dominated by the halo)
    for i, ((x, y), mag, split) in enumerate((((219.6, 570.3), 18.5, "train"),
                                              ((96.8, 213.9), 20.0, "train"), ((528.5, 437.3), 20.5, "test"),
                                              ((27.1, 321.8), 21.0, "test"))):
        px, py = ngc.peak(x, y, 4)
        add(conts, f"ngc2274_star{i + 1}", ngc, px, py, f_hst, 0.10, mag, split, 0.1, 200.0,
            "foreground star in the NGC 2274 HST field, 0.12825 -> 0.1 arcsec/px (no angular rescale), border plane subtracted",
            allow_fainter=True, local_sky=True)
    # NGC 2274 field galaxy: a faint edge-on background galaxy (arc-like), as observed (no rescale)
    px, py = ngc.peak(175, 500, 4)
    add(conts, "ngc2274_fieldgal", ngc, px, py, f_hst, 0.10, 21.5, "train", 0.1, 200.0,
        "faint elongated background galaxy in the NGC 2274 HST field", allow_fainter=True, local_sky=True)
    # Challenge non-lens field: the compact companion object, the main galaxy off-centre.
    px, py = nolens.peak(66, 32, 4)
    add(conts, "challenge100004_companion", nolens, px, py, 1.0, 0.16, 22.0, "test", 0.1, 200.0,
        "compact object of Lens Finding Challenge non-lens 100004 (main galaxy off-centre)",
        allow_fainter=True, native_max=0.9)
    # M67 (DSS plate, 1.7"/px): one native pixel taken as 0.05" (angular rescale 34; star FWHM ~3 px
    # -> 0.15"), block 2x2 to 0.1"/px. The plate's noise limits these to faint magnitudes (set by
    # native_max 0.9): stars and pairs near the VIS detection limit.
    # The field is crowded: "isolated" means no other star within 25 native px (1.25" here) of a
    # single, within 35 px of a pair's midpoint (pair separations 10-30 native px = 0.5-1.5").
    stars = find_stars(m67, 0, 1e9, 0, 120)
    bright = sorted([st for st in stars if 4000 < st[2] < 8500], key=lambda st: (st[1], st[0]))

    def crowd(x, y, r):
        return sum(1 for o in stars if np.hypot(o[0] - x, o[1] - y) < r)

    half = m67.data.shape[1] / 2
    picks = [("m67_star", st[0], st[1]) for st in bright if crowd(st[0], st[1], 25) == 1]
    for a in range(len(bright)):
        for b in range(a + 1, len(bright)):
            (xa, ya, _, _), (xb, yb, _, _) = bright[a], bright[b]
            if 10 <= np.hypot(xa - xb, ya - yb) <= 30 and crowd((xa + xb) / 2, (ya + yb) / 2, 35) == 2:
                picks.append(("m67_pair", (xa + xb) / 2, (ya + yb) / 2))
    for kind in ("m67_star", "m67_pair"):
        for left, split in ((True, "train"), (False, "test")):
            chosen = [p for p in picks if p[0] == kind and (p[1] < half) == left][:2]
            for j, (_, x, y) in enumerate(chosen):
                add(conts, f"{kind}_{'l' if left else 'r'}{j + 1}", m67, x, y, 2.0, 0.15, 20.0, split, 0.1, 200.0,
                    "M67 DSS plate region centred on a star (pair), native px taken as 0.05 arcsec, 2x2 blocks, border plane subtracted",
                    allow_fainter=True, native_max=0.9, local_sky=True)
    write_catalog(os.path.join(out_dir, "hybrid_cutouts.csv"), lenses, LENS_HEADER)
    write_catalog(os.path.join(out_dir, "contaminant_cutouts.csv"), conts, CONT_HEADER)
    for kind, rows in (("lens", lenses), ("contaminant", conts)):
        n = {sp: sum(r["split"] == sp for r in rows) for sp in ("train", "test")}
        print(f"{kind}: {len(rows)} cutouts ({n['train']} train, {n['test']} test)")
    return lenses, conts


COMMON_HEADER = """\
# Made by scripts/make_cutout_library.py (rerun it to rebuild; fixed seed) from ../shared/data/fits_zoo/.
# Format: sim/include/lensforge/sim/render/hybrid.hpp and catalogs/README.md. Every cutout: 96x96 px
# FITS (float32) under hybrid/, 0.1"/px (PIXSCALE card), e-/s for the Euclid VIS zero point 25.9 (AB
# of 1 e-/s), sky subtracted (native sky from border boxes), Gaussian PSF FWHM 0.16" (each image is
# resampled flux-conservingly and convolved up to it), and Euclid VIS wide-survey noise for
# 4 x 566 s = 2264 s: sky 22.3 mag/arcsec^2 + read noise 4.2 e- give sigma_sky = 0.01164 e-/s per
# pixel (Gaussian, added where the native noise is below it, plus the object's own shot noise);
# header cards NATSIG/ADDSIG give each cutout's native and added noise. psf_fwhm 0.16 is the
# resulting PSF, exposure_time 2264 s the depth for the painted arc's Poisson noise.
# split: train/test. The FITS HISTORY of each cutout says how it was made.
"""
LENS_HEADER = COMMON_HEADER + """\
# Lens-galaxy candidates. Only THREE independent galaxies are here; rows are rescales and
# rotations/flips of them (a rotation or flip of one image at one scale is not a new galaxy):
#  ngc2274_*: NGC 2274 (HST, elliptical, z = 0.0256, sigma_v ~ 260 km/s from HyperLEDA, rounded)
#    moved to z_lens = 0.30-0.60: angular size divided by D_A(z_lens)/D_A(0.0256) (flat LCDM, H0 70,
#    Om0 0.3), magnitude from Faber-Jackson M = -21 - 10 log10(260/220) plus the distance modulus
#    (no k-correction): 19.2-21.0 mag. Native noise is far below VIS depth: VIS noise is added.
#    z < 0.3 is left out (the halo is above the sky noise at the cutout border). train: z 0.30-0.45,
#    test: z 0.50-0.60 (same galaxy at scales not in train).
#  cosmos147246_*: GalSim COSMOS 147246 (HST F814W; clumpy, not an early type), redshift unknown: z
#    nominal (0.5 as observed, 0.8 shrunk by the D_A ratio), 21.0-21.1 mag (its own correlated noise
#    limits it), sigma_v from Faber-Jackson at that z. train.
#  challenge100004_*: the main galaxy of the Lens Finding Challenge 1 space non-lens 100004 (already
#    0.1"/px), z nominal 0.8; its simulated noise limits it to 21.9 mag (fainter than the 18-21 of
#    the others: its native noise is 0.9 sigma_sky, topped up), sigma_v from Faber-Jackson. test.
# The challenge lens 100002 has an arc and is not used.
"""
CONT_HEADER = COMMON_HEADER + """\
# Contaminants (negatives that are not lens galaxies). z_lens and sigma_v are required by the loader
# but unused for contaminants: nominal 0.1 and 200 on every row.
#  m51_*: M51 (ground B band, native scale not in the header) shrunk so the whole galaxy spans 4-9"
#    (arms around a bulge: ring/arc-like) or the inner arms/an arm segment fill the cutout; regions
#    cut from the galaxy are faded to 0 by a cosine taper so the border is sky. 19.5 mag.
#    train: 6, 10, 3, 4 native px per pixel, arm a; test: 8, 12, 2 native px per pixel, arm b.
#  ngc2274_star*: foreground stars of the NGC 2274 HST field (real HST PSF, resampled to 0.1"/px and
#    convolved to 0.16"; a plane fitted to the border subtracted); ngc2274_fieldgal: a faint elongated
#    background galaxy of that field. train: star1-2, fieldgal; test: star3-4.
#  challenge100004_companion: the compact object of challenge non-lens 100004. test.
#  m67_*: M67 DSS plate, one native 1.7" pixel taken as 0.05" then 2x2 blocks (stars ~0.15" FWHM);
#    centred on a star or a pair (0.5-1.5" apart) in a crowded field; the cutout magnitude is the
#    whole field's (the plate noise caps it). train: left half of the plate, test: right.
"""


def write_catalog(path, rows, header):
    with open(path, "w") as out:
        out.write(header)
        out.write("name,band,file,hdu,pixel_scale,zero_point,psf_fwhm,z_lens,sigma_v,exposure_time,split\n")
        for r in rows:
            out.write(f"{r['name']},VIS,{r['file']},0,header,{ZP},{FWHM},{r['z']:.2f},{r['sigma_v']:.0f},{T:.0f},"
                      f"{r['split']}\n")


if __name__ == "__main__":
    main()
