/**
 * The read ceiling: a bare node:http server answering every GET with a fixed
 * appointment-sized JSON body, put behind nginx like the gateways are. What a
 * read through HMS costs beyond this is HMS's own work.
 *
 *   node --import tsx bench/ceilings/bare-http.ts <port>
 */
import http from 'node:http';

const body = JSON.stringify({
  appointment: {
    id: '01a20af7-fbd1-7667-bd54-51b0735a6e69',
    patientId: '01a20af7-fc1b-76b8-9ab6-5f7f05be1a9c',
    doctorId: '01a20af7-fbd1-7667-bd54-633106e06d4c',
    departmentId: '01a20af7-fb7c-7088-abea-df272576849f',
    startsAt: '2030-01-07T05:00:00.000Z',
    endsAt: '2030-01-07T05:15:00.000Z',
    serviceDate: '2030-01-07',
    status: 'BOOKED',
    reason: '',
    consultationFeeMinor: 50000,
    hospitalFeeMinor: 10000,
    currency: 'INR',
    createdAt: '2030-01-06T05:00:00.000Z',
    checkedInAt: null,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  },
});

http
  .createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  })
  .listen(Number(process.argv[2]), '127.0.0.1');
