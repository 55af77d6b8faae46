import { writeFile } from 'node:fs/promises';

const FIRST = ['Amara', 'José', 'Mei', 'Olu', 'Sofia', 'Ravi', 'Ines', 'Tomasz', 'Hana', 'Kwame'];
const LAST = ['Okafor', 'Núñez', 'Chen', 'Adeyemi', 'Rossi', 'Iyer', 'Duarte', 'Nowak', 'Sato', 'Mensah'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Marketing', 'People', 'Finance', 'Customer Success', 'IT'];
const HEADER =
  'employee_id,first_name,last_name,preferred_name,work_email,mobile,department,job_title,manager_id,status,' +
  'hire_date,termination_date,employment_type,location';

export const employeeId = (n: number) => `L${String(n).padStart(5, '0')}`;

/**
 * An HR export in the sample export's columns (examples/hr-export.csv, so the sample mapping applies) with `people`
 * active employees L00000…, no managers (a leaving manager would also change their reports' profiles). Everyone's
 * job title is "Analyst" unless `jobTitle` gives another for employee number n (a reorg).
 */
export async function writeHrExport(
  path: string,
  people: number,
  options: { jobTitle?: (n: number) => string } = {},
): Promise<void> {
  const rows = [HEADER];
  const title = options.jobTitle ?? (() => 'Analyst');
  for (let n = 0; n < people; n++) {
    const first = FIRST[n % FIRST.length]!;
    const last = LAST[Math.floor(n / FIRST.length) % LAST.length]!;
    const email = `${first}.${last}.${n}@example.com`.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
    const department = DEPARTMENTS[n % DEPARTMENTS.length]!;
    rows.push(
      [employeeId(n), first, last, '', email, `+1 415 555 ${String(1000 + n).slice(-4)}`, department, title(n), '']
        .concat(['Active', '2024-01-15', '', 'Employee', 'London'])
        .join(','),
    );
  }
  await writeFile(path, rows.join('\n') + '\n');
}
