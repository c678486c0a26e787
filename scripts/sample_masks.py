"""Hand-drawn object masks for the bundled samples (coordinates read off crops of the 2048-px photos)."""
import cv2
import numpy as np
from PIL import Image


def poly(m, pts):
    cv2.fillPoly(m, [np.array(pts, np.int32)], 255)

def save(name, rgb, m, grow):
    m = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    Image.fromarray(rgb).save(f'/tmp/nc/out/{name}.jpg', quality=90, subsampling=0, optimize=True)
    Image.fromarray(m).save(f'/tmp/nc/out/{name}_mask.png', optimize=True)
    ov = rgb.copy()
    ov[m > 0] = (ov[m > 0] * 0.4 + np.array([255, 0, 0]) * 0.6).astype(np.uint8)
    Image.fromarray(ov).save(f'/tmp/nc/ov_{name}.png')
    print(name, rgb.shape, f"{(m>0).mean()*100:.2f}% hole")
    return ov

# kite: the kite (polygon from a 2x crop at (1250,330)) and its string to the top edge
rgb = np.asarray(Image.open('/tmp/nc/kite.png').convert('RGB'))
m = np.zeros(rgb.shape[:2], np.uint8)
c = [(150,122),(280,148),(424,188),(300,242),(255,294),(150,390),(138,300)]
poly(m, [(1250 + x / 2, 330 + y / 2) for x, y in c])
# string: points traced on its brightness ridge (top-hat) every 50 px
string = [(671, -2), (725, 30), (825, 95), (925, 159), (1025, 224), (1125, 288), (1225, 352), (1275, 383), (1322, 410)]
cv2.polylines(m, [np.array(string, np.int32)], False, 255, 5)
ov = save('kite', rgb, m, 5)

# boats: the row of wooden posts in the lake (3x crop at (1240,440))
rgb = np.asarray(Image.open('/tmp/nc/boats.png').convert('RGB'))
m = np.zeros(rgb.shape[:2], np.uint8)
for x0, x1, y0, y1 in [(86,112,228,345),(181,207,230,350),(296,322,233,352),(431,457,236,358),(568,594,238,358),
                       (691,714,240,355),(721,758,220,290)]:
    poly(m, [(1240 + x0 / 3, 440 + y0 / 3), (1240 + x1 / 3, 440 + y0 / 3), (1240 + x1 / 3, 440 + y1 / 3), (1240 + x0 / 3, 440 + y1 / 3)])
for x in (50, 367, 441, 519, 601, 677, 713):
    poly(m, [(1240 + (x - 8) / 3, 440 + 176 / 3), (1240 + (x + 8) / 3, 440 + 176 / 3), (1240 + (x + 8) / 3, 440 + 210 / 3), (1240 + (x - 8) / 3, 440 + 210 / 3)])
save('boats', rgb, m, 3)

# nuthatch: the bird on the trunk (1x crop at (800,380))
rgb = np.asarray(Image.open('/tmp/nc/nuthatch.png').convert('RGB'))
m = np.zeros(rgb.shape[:2], np.uint8)
c = [(33,16),(62,40),(95,105),(140,160),(175,240),(200,280),(232,288),(252,330),(306,356),(250,354),(220,362),(170,374),
     (110,370),(58,347),(32,300),(22,250),(24,170),(30,130),(42,80),(36,40)]
poly(m, [(800 + x, 380 + y) for x, y in c])
save('nuthatch', rgb, m, 8)

# bridge: the white stay pipe from the left edge up to and including its clamp at the top; hand-drawn region
# around it, narrowed to the pipe's own (pale, unsaturated) pixels, then closed and dilated.
rgb = np.asarray(Image.open('/tmp/nc/bridge.png').convert('RGB'))
roi = np.zeros(rgb.shape[:2], np.uint8)
poly(roi, [(0, 440), (0, 560), (1130, 60), (1130, 0), (1000, 0)])
hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
pale = ((hsv[..., 1] < 70) & (hsv[..., 2] > 110)).astype(np.uint8) * 255
m = cv2.bitwise_and(roi, pale)
m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (25, 25)))
n, lab, stats, _ = cv2.connectedComponentsWithStats(m)
keep = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] > 2000]
m = np.isin(lab, keep).astype(np.uint8) * 255
save('bridge', rgb, m, 6)
